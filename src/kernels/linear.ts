// Fully connected layer on the matmul kernels.
// x, dx: (N, in) f32; weight, dweight: (out, in); bias, dbias: (out); y, dy: (N, out).
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { gemm } from './matmul.js';
import { channelSum } from './reduce.js';

function check(op: string, n: number, inF: number, outF: number, shapes: Array<[string, Tensor, number[]]>): void {
  for (const [what, t, want] of shapes)
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]))
      throw new RangeError(`${op}: ${what} ${shapeString(t.shape)} must be ${shapeString(want)} (N ${n}, in ${inF}, out ${outF})`);
}

/** y = x @ weight^T + bias. */
export function linearForward(gpu: Gpu, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [N, inF] = [x.shape[0] ?? 0, x.shape[1] ?? 0];
  const outF = weight.shape[0] ?? 0;
  check('linearForward', N, inF, outF, [['x', x, [N, inF]], ['weight', weight, [outF, inF]], ...(bias ? [['bias', bias, [outF]] as [string, Tensor, number[]]] : [])]);
  return gemm(gpu, x, weight, { transB: true, bias });
}

/** dx = dy @ weight. */
export function linearBackwardData(gpu: Gpu, dy: Tensor, weight: Tensor): Tensor {
  const [N, outF] = [dy.shape[0] ?? 0, dy.shape[1] ?? 0];
  const inF = weight.shape[1] ?? 0;
  check('linearBackwardData', N, inF, outF, [['dy', dy, [N, outF]], ['weight', weight, [outF, inF]]]);
  return gemm(gpu, dy, weight);
}

/** dweight = dy^T @ x. */
export function linearBackwardWeight(gpu: Gpu, x: Tensor, dy: Tensor): Tensor {
  const [N, inF] = [x.shape[0] ?? 0, x.shape[1] ?? 0];
  const outF = dy.shape[1] ?? 0;
  check('linearBackwardWeight', N, inF, outF, [['x', x, [N, inF]], ['dy', dy, [N, outF]]]);
  return gemm(gpu, dy, x, { transA: true });
}

/** dbias = sum over the batch of dy. */
export function linearBackwardBias(gpu: Gpu, dy: Tensor): Tensor {
  if (dy.shape.length !== 2) throw new RangeError(`linearBackwardBias: dy ${shapeString(dy.shape)} must be (N, out)`);
  return channelSum(gpu, dy);
}
