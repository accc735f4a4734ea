// Differentiable ops: each forward next to its backward rule, in one table-like file.
// Layouts (NCHW f32): x, y: (N, C, H, W); conv weight: (Cout, Cin, kh, kw); linear weight:
// (out, in); logits: (N, K); labels: (N) i32; loss: (1).
//
// Each op records through Tape.record, declaring what it saves: the Vars its backward reads
// (retained until that backward has run) and the tensors it owns (released right after). A rule
// computes only the gradients asked for: no weight gradient for a frozen weight (and then x is not
// saved), no dx for an input that needs none (the image).
import { shapeString, type Tensor } from '../gpu/tensor.js';
import { globalAvgPoolBackward, globalAvgPoolForward } from '../kernels/avgpool.js';
import { batchnormBackward, batchnormEvalForward, batchnormTrainForward } from '../kernels/batchnorm.js';
import { conv2dBackwardBias, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, type Conv2dKeep, type Conv2dParams } from '../kernels/conv2d.js';
import { add as addKernel, relu as reluKernel, reluBackward } from '../kernels/elementwise.js';
import { linearBackwardBias, linearBackwardData, linearBackwardWeight, linearForward } from '../kernels/linear.js';
import { maxpool2dBackward, maxpool2dForward, type MaxPool2dParams } from '../kernels/maxpool2d.js';
import { softmaxCrossEntropy, type CrossEntropyOptions } from '../kernels/softmax_ce.js';
import { SELF, type Tape, type Var } from './tape.js';

// conv2d ----------------------------------------------------------------------------------
// y = x * weight (+ bias).  dx = conv2dBackwardData(dy, weight);  dweight = conv2dBackwardWeight(x, dy);
// dbias = sum of dy over N, H, W.
// What the forward made that a backward pass needs again is kept for it (Conv2dKeep: a Winograd
// conv's filter transforms for dx, conv1's column matrix for dweight; the weight and x do not
// change in between), when that pass will run.
export function conv2d(tape: Tape, x: Var, weight: Var, bias: Var | null, p: Conv2dParams): Var {
  const gpu = tape.gpu;
  const keep: Conv2dKeep | undefined = tape.needsGrad([x, weight, bias]) ? { filters: null, columns: null } : undefined;
  const y = conv2dForward(gpu, x.data, weight.data, bias?.data ?? null, p, undefined, keep);
  // Only what a pass that will run reads: dx reads the filters, dweight the columns.
  const filters = keepIf(x.requiresGrad, keep?.filters ?? null);
  const columns = keepIf(weight.requiresGrad, keep?.columns ?? null);
  const xShape = x.shape;
  return tape.record(y, {
    op: 'conv2d',
    inputs: [x, weight, bias],
    saved: weight.requiresGrad ? [x] : [],
    owned: [filters, columns].filter((t): t is Tensor => t !== null),
    backward: (dy, [needX, needW, needB]) => [
      needX ? conv2dBackwardData(gpu, dy!, weight.data, xShape, p, undefined, filters) : null,
      needW ? conv2dBackwardWeight(gpu, x.data, dy!, weight.shape, p, undefined, weight.gradOut, columns) : null,
      needB ? conv2dBackwardBias(gpu, dy!) : null,
    ],
  });
}

/** `t` when `wanted`, else null (and `t` released). */
function keepIf(wanted: boolean, t: Tensor | null): Tensor | null {
  if (!wanted) t?.release();
  return wanted ? t : null;
}

// batchnorm (+ fused relu) ------------------------------------------------------------------
// Training: batch statistics (saveMean, saveInvstd kept for backward), running statistics updated
// in place. Eval: running statistics, differentiable only as an affine map (not needed here).
export interface BatchNormState {
  weight: Var;
  bias: Var;
  runningMean: Tensor;
  runningVar: Tensor;
  eps: number;
  momentum: number;
}

export function batchnorm(tape: Tape, x: Var, bn: BatchNormState, training: boolean, relu: boolean): Var {
  const gpu = tape.gpu;
  const p = { eps: bn.eps, momentum: bn.momentum, relu };
  if (!training) {
    if (tape.needsGrad([x, bn.weight, bn.bias])) {
      throw new Error('batchnorm: backward through eval-mode batchnorm is not supported; train with the model in train mode, or run evaluation under a no-grad tape');
    }
    return tape.record(batchnormEvalForward(gpu, x.data, bn.weight.data, bn.bias.data, bn.runningMean, bn.runningVar, p), null);
  }
  const { y, saveMean, saveInvstd } = batchnormTrainForward(gpu, x.data, bn.weight.data, bn.bias.data, bn.runningMean, bn.runningVar, p);
  return tape.record(y, {
    op: relu ? 'batchnorm_relu' : 'batchnorm',
    inputs: [x, bn.weight, bn.bias],
    // With the fused ReLU the backward masks dy by the op's own output.
    saved: relu ? [x, SELF] : [x],
    owned: [saveMean, saveInvstd],
    backward(dy, needs, node) {
      const g = batchnormBackward(gpu, dy!, x.data, bn.weight.data, saveMean, saveInvstd, relu ? node.output.data : null);
      // The kernel computes all three at once; drop the ones nobody needs.
      return [g.dx, g.dweight, g.dbias].map((t, i) => (needs[i] ? t : (t.release(), null)));
    },
  });
}

// relu -------------------------------------------------------------------------------------
// y = max(x, 0).  dx = dy where y > 0.
export function relu(tape: Tape, x: Var): Var {
  const gpu = tape.gpu;
  return tape.record(reluKernel(gpu, x.data), {
    op: 'relu',
    inputs: [x],
    saved: [SELF],
    backward: (dy, _needs, node) => [reluBackward(gpu, dy!, node.output.data)],
  });
}

// add --------------------------------------------------------------------------------------
// y = a + b (same shape).  da = db = dy (one tensor, shared).
export function add(tape: Tape, a: Var, b: Var): Var {
  if (a.shape.join() !== b.shape.join()) throw new RangeError(`add: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} differ`);
  return tape.record(addKernel(tape.gpu, a.data, b.data), {
    op: 'add',
    inputs: [a, b],
    backward: (dy, [needA, needB]) => [needA ? dy : null, needB ? dy : null],
  });
}

// maxpool2d --------------------------------------------------------------------------------
// y = max over each window; argmax (owned) routes dy back to the winning element.
export function maxpool2d(tape: Tape, x: Var, p: MaxPool2dParams): Var {
  const gpu = tape.gpu;
  const { y, argmax } = maxpool2dForward(gpu, x.data, p);
  const xShape = x.shape;
  return tape.record(y, {
    op: 'maxpool2d',
    inputs: [x],
    owned: [argmax],
    backward: (dy) => [maxpool2dBackward(gpu, dy!, argmax, xShape, p)],
  });
}

// global average pool (AdaptiveAvgPool2d(1) + flatten) ------------------------------------------
// y: (N, C) = mean over H, W.  dx = dy / (H W) broadcast.
export function globalAvgPool(tape: Tape, x: Var): Var {
  const gpu = tape.gpu;
  const xShape = x.shape;
  return tape.record(globalAvgPoolForward(gpu, x.data), {
    op: 'global_avg_pool',
    inputs: [x],
    backward: (dy) => [globalAvgPoolBackward(gpu, dy!, xShape)],
  });
}

// linear -----------------------------------------------------------------------------------
// y = x weight^T + bias.  dx = dy weight;  dweight = dy^T x;  dbias = sum of dy over N.
export function linear(tape: Tape, x: Var, weight: Var, bias: Var | null): Var {
  const gpu = tape.gpu;
  return tape.record(linearForward(gpu, x.data, weight.data, bias?.data ?? null), {
    op: 'linear',
    inputs: [x, weight, bias],
    saved: weight.requiresGrad ? [x] : [],
    backward: (dy, [needX, needW, needB]) => [
      needX ? linearBackwardData(gpu, dy!, weight.data) : null,
      needW ? linearBackwardWeight(gpu, x.data, dy!) : null,
      needB ? linearBackwardBias(gpu, dy!) : null,
    ],
  });
}

// softmax cross-entropy (mean over the batch) --------------------------------------------------
// The kernel returns the loss and d loss / d logits together; backward hands over the latter.
// It is a root: its upstream gradient is 1 by definition, so dy is not used.
export function crossEntropy(tape: Tape, logits: Var, labels: Tensor, opts: CrossEntropyOptions = {}): Var {
  const { loss, dlogits } = softmaxCrossEntropy(tape.gpu, logits.data, labels, opts);
  return tape.record(loss, {
    op: 'cross_entropy',
    inputs: [logits],
    // Owned: released at once in no-grad mode, or if the logits need no gradient.
    owned: [dlogits],
    backward: (_dy, [needLogits]) => [needLogits ? dlogits : null],
  });
}
