// Fused softmax + cross-entropy with mean reduction (torch.nn.CrossEntropyLoss semantics),
// class weights, label smoothing, and an expected-misclassification-cost term.
// logits, dlogits: (N, K) f32; labels: (N) i32; classWeights: (K); costMatrix: (K, K) with
// row = true class; loss: [1].
// loss = sum_i [(1-e) w_{y_i} (-log p_{i,y_i}) + e/K sum_k w_k (-log p_ik)] / sum_i w_{y_i}
//      + (1/N) sum_i sum_k p_ik C[y_i, k]
// Labels outside [0, K) are clamped into range (PyTorch would raise; the data loader checks).
import { kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { fillTensor } from './fill.js';
import { packUniforms } from './elementwise.js';
import rowsSrc from '../../shaders/softmax_ce.rows.wgsl';
import lossSrc from '../../shaders/softmax_ce.loss.wgsl';
import gradSrc from '../../shaders/softmax_ce.grad.wgsl';
import commonLib from '../../shaders/lib/softmax_ce_common.wgsl';

export interface CrossEntropyOptions {
  classWeights?: Tensor | null;
  labelSmoothing?: number;
  costMatrix?: Tensor | null;
}

const LIB = { softmax_ce_common: commonLib };
const ROWS = kernelWithIncludes({ name: 'softmax_ce.rows', source: rowsSrc }, LIB);
const LOSS: Kernel = { name: 'softmax_ce.loss', source: lossSrc };
const GRAD = kernelWithIncludes({ name: 'softmax_ce.grad', source: gradSrc }, LIB);

export function softmaxCrossEntropy(gpu: Gpu, logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): { loss: Tensor; dlogits: Tensor } {
  const op = 'softmaxCrossEntropy';
  if (logits.shape.length !== 2 || logits.shape[0]! < 1 || logits.shape[1]! < 1) throw new RangeError(`${op}: logits ${shapeString(logits.shape)} must be (N, K)`);
  const [N, K] = logits.shape as [number, number];
  if (labels.size !== N || labels.dtype !== 'i32') throw new RangeError(`${op}: labels ${shapeString(labels.shape)} ${labels.dtype} must be (${N}) i32`);
  const e = opts.labelSmoothing ?? 0;
  if (!(e >= 0 && e <= 1)) throw new RangeError(`${op}: labelSmoothing ${e} must be in [0, 1]`);
  const cw = opts.classWeights ?? null;
  if (cw && cw.size !== K) throw new RangeError(`${op}: classWeights ${shapeString(cw.shape)} must have K = ${K} elements`);
  const cost = opts.costMatrix ?? null;
  if (cost && cost.size !== K * K) throw new RangeError(`${op}: costMatrix ${shapeString(cost.shape)} must be (${K}, ${K})`);
  for (const [what, t] of [['logits', logits], ['labels', labels], ['costMatrix', cost]] as const)
    if (t && t.size * 4 > gpu.limits.maxBindingBytes) throw new RangeError(`${op}: ${what} ${shapeString(t.shape)} exceeds the binding limit`);

  let ones: Tensor | null = null;
  if (!cw) {
    ones = Tensor.empty(gpu, [K]);
    fillTensor(ones, 1);
  }
  const weights = (cw ?? ones)!;
  // Without a cost matrix, logits stand in for its binding (never read: costOn = 0).
  const costBinding = cost ? cost.binding : logits.binding;
  const rowTerms = Tensor.empty(gpu, [N, 3]);
  const scalars = Tensor.empty(gpu, [2]);
  const loss = Tensor.empty(gpu, [1]);
  const dlogits = Tensor.empty(gpu, [N, K]);
  const costOn = cost ? 1 : 0;
  gpu.dispatch(ROWS, {
    uniforms: packUniforms([N, K, costOn], [e]),
    buffers: [logits.binding, labels.binding, weights.binding, costBinding, rowTerms.binding],
    workgroups: Math.ceil(N / 64),
  });
  gpu.dispatch(LOSS, { uniforms: packUniforms([N, K]), buffers: [rowTerms.binding, weights.binding, loss.binding, scalars.binding], workgroups: 1 });
  gpu.dispatch(GRAD, {
    uniforms: packUniforms([N, K, costOn], [e]),
    buffers: [logits.binding, labels.binding, weights.binding, costBinding, rowTerms.binding, scalars.binding, dlogits.binding],
    workgroups: Math.ceil((N * K) / 64),
  });
  rowTerms.release();
  scalars.release();
  ones?.release();
  return { loss, dlogits };
}
export type SoftmaxCrossEntropyOptions = CrossEntropyOptions;
