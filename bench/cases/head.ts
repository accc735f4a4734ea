// Kernel-lab cases for ResNet18's head: the linear layer (forward and its three gradients) and
// the fused softmax cross-entropy. x, dx: (N, 512); weight, dweight: (classes, 512);
// bias, dbias: (classes); y, dy, logits, dlogits: (N, classes); labels: (N) i32.
import { linearBackwardBias, linearBackwardData, linearBackwardWeight, linearForward } from '../../src/kernels/linear.js';
import { softmaxCrossEntropy } from '../../src/kernels/softmax_ce.js';
import * as lin from '../../src/reference/linear.js';
import { softmaxCrossEntropy as ceRef } from '../../src/reference/softmax_ce.js';
import type { KernelCase } from '../harness.js';
import type { Resnet18Shapes } from '../shapes.js';
import { defineCase, randomTensor } from './common.js';

// Convention tolerances: forward 1e-4, gradients 1e-3 (f32 dot products of 512 or N terms).
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

export function headCases(shapes: Resnet18Shapes): KernelCase[] {
  const { n: N, in: I, out: O } = shapes.linear;
  const layer = 'fc';
  const macs = N * I * O;
  const common = { layer, count: 1, referenceMacs: macs };
  const x = (rng: Parameters<typeof randomTensor>[0]) => randomTensor(rng, [N, I]);
  const w = (rng: Parameters<typeof randomTensor>[0]) => randomTensor(rng, [O, I]);
  const dy = (rng: Parameters<typeof randomTensor>[0]) => randomTensor(rng, [N, O]);
  return [
    defineCase({
      ...common,
      op: 'linear.forward',
      shape: `x[${N},${I}] w[${O},${I}] +b`,
      flops: 2 * macs + N * O,
      bytes: 4 * (N * I + O * I + O + N * O),
      tolerance: FWD_TOL,
      inputs: (rng) => ({ x: x(rng), weight: w(rng), bias: randomTensor(rng, [O]) }),
      run: (gpu, t) => [linearForward(gpu, t.x, t.weight, t.bias)],
      outputs: ['y'],
      reference: (h) => [lin.linearForward(h.x.data, h.weight.data, h.bias.data, N, I, O)],
    }),
    defineCase({
      ...common,
      op: 'linear.bwd_data',
      shape: `dy[${N},${O}] w[${O},${I}]`,
      flops: 2 * macs,
      bytes: 4 * (N * O + O * I + N * I),
      tolerance: GRAD_TOL,
      inputs: (rng) => ({ dy: dy(rng), weight: w(rng) }),
      run: (gpu, t) => [linearBackwardData(gpu, t.dy, t.weight)],
      outputs: ['dx'],
      reference: (h) => [lin.linearBackwardData(h.dy.data, h.weight.data, N, I, O)],
    }),
    defineCase({
      ...common,
      op: 'linear.bwd_weight',
      shape: `x[${N},${I}] dy[${N},${O}]`,
      flops: 2 * macs,
      bytes: 4 * (N * I + N * O + O * I),
      tolerance: GRAD_TOL,
      inputs: (rng) => ({ x: x(rng), dy: dy(rng) }),
      run: (gpu, t) => [linearBackwardWeight(gpu, t.x, t.dy)],
      outputs: ['dweight'],
      reference: (h) => [lin.linearBackwardWeight(h.x.data, h.dy.data, N, I, O)],
    }),
    defineCase({
      ...common,
      op: 'linear.bwd_bias',
      shape: `dy[${N},${O}]`,
      flops: N * O,
      bytes: 4 * (N * O + O),
      tolerance: GRAD_TOL,
      inputs: (rng) => ({ dy: dy(rng) }),
      run: (gpu, t) => [linearBackwardBias(gpu, t.dy)],
      outputs: ['dbias'],
      reference: (h) => [lin.linearBackwardBias(h.dy.data, N, O)],
    }),
    defineCase({
      ...common,
      op: 'softmax_ce',
      shape: `logits[${N},${O}] mean`,
      // Per logit: max, subtract, exp, sum, log-softmax, probability, gradient: about 8.
      flops: 8 * N * O,
      bytes: 4 * (2 * N * O + N + 1),
      referenceMacs: 8 * N * O,
      tolerance: FWD_TOL,
      inputs: (rng) => ({
        logits: randomTensor(rng, [N, O], -4, 4),
        labels: { data: Float64Array.from({ length: N }, () => rng.int(O)), shape: [N], dtype: 'i32' as const },
      }),
      run: (gpu, t) => {
        const r = softmaxCrossEntropy(gpu, t.logits, t.labels);
        return [r.loss, r.dlogits];
      },
      outputs: ['loss', 'dlogits'],
      reference: (h) => {
        const r = ceRef(h.logits.data, h.labels.data, N, O);
        return [Float64Array.of(r.loss), r.dlogits];
      },
    }),
  ];
}
