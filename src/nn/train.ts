// One training step and the evaluation forward, as the CLI and the web page call them.
// images: (N, 3, H, W) f32 normalised; labels: (N) i32; loss: (1) f32; logits: (N, numClasses);
// stats: (2) f32 = [loss, correctly classified images of the batch].
//
// A step records everything (forward, backward, the optimiser's one fused update) into the open
// command encoder and reads nothing back; the caller submits (gpu.submit()) and reads the loss
// (or the stats, which hold the loss) asynchronously every few steps.
import { Tensor } from '../gpu/tensor.js';
import { correctCount } from '../kernels/reduce.js';
import type { CrossEntropyOptions } from '../kernels/softmax_ce.js';
import { crossEntropy } from './ops.js';
import type { Optimizer } from './optim.js';
import type { ResNet18 } from './resnet.js';
import { Tape, Var } from './tape.js';

export type LossOptions = CrossEntropyOptions;

/**
 * Forward in train mode, backward, optimiser update. Returns the loss tensor; the caller releases
 * it (after reading it, or not).
 */
export function trainStep(model: ResNet18, optimizer: Optimizer, images: Tensor, labels: Tensor, lossOpts: LossOptions = {}): Tensor {
  if (!model.training) throw new Error('trainStep: the model is in eval mode; call model.train() first');
  const loss = lossAndGradients(model, images, labels, lossOpts);
  optimizer.step();
  return loss;
}

/**
 * trainStep that also counts the batch's correctly classified images (argmax of the step's own
 * logits == label) on the GPU. Returns stats (2) f32 = [loss, correct]: one readback gives both.
 * The count is of the train-mode forward (batch statistics in BatchNorm) on the batch as given,
 * augmented or not, before this step's update: the usual "training accuracy" of an epoch.
 */
export function trainStepWithStats(model: ResNet18, optimizer: Optimizer, images: Tensor, labels: Tensor, lossOpts: LossOptions = {}): Tensor {
  if (!model.training) throw new Error('trainStepWithStats: the model is in eval mode; call model.train() first');
  const { stats } = lossAndGradientsWithStats(model, images, labels, lossOpts);
  optimizer.step();
  return stats;
}

/**
 * Forward and backward only: leaves every trainable parameter's gradient in model.arena.grads
 * (and its views) and returns the loss tensor. Used by trainStep and by the parity tests.
 */
export function lossAndGradients(model: ResNet18, images: Tensor, labels: Tensor, lossOpts: LossOptions = {}): Tensor {
  return backwardPass(model, images, labels, lossOpts, null).loss;
}

export interface StepStats {
  /** (2) f32: [loss, correctly classified images]. */
  stats: Tensor;
  /** With keepLogits: a copy of the logits (N, K) the loss and the count were computed from. */
  logits: Tensor | null;
}

/**
 * lossAndGradients plus the correct count, packed with the loss into one (2) f32 tensor. The
 * caller releases stats (and logits, kept only when asked: the tests compare the count with it).
 */
export function lossAndGradientsWithStats(model: ResNet18, images: Tensor, labels: Tensor, lossOpts: LossOptions = {}, options: { keepLogits?: boolean } = {}): StepStats {
  const stats = Tensor.empty(model.gpu, [2], 'f32', 'step stats');
  let result: { loss: Tensor; logits: Tensor | null };
  try {
    result = backwardPass(model, images, labels, lossOpts, { stats, keepLogits: options.keepLogits ?? false });
  } catch (err) {
    stats.release();
    throw err;
  }
  // The loss moves into stats[0] on the GPU; the separate loss tensor is no longer needed.
  model.gpu.copy(result.loss.buffer, result.loss.offset, stats.buffer, stats.offset, 4);
  result.loss.release();
  return { stats, logits: result.logits };
}

function backwardPass(model: ResNet18, images: Tensor, labels: Tensor, lossOpts: LossOptions, count: { stats: Tensor; keepLogits: boolean } | null): { loss: Tensor; logits: Tensor | null } {
  const tape = new Tape(model.gpu, true);
  const x = Var.leaf(images, false, 'images');
  const logits = model.forward(tape, x);
  const loss = crossEntropy(tape, logits, labels, lossOpts);
  let kept: Tensor | null = null;
  if (count) {
    // Counted before the logits are freed, from the same forward the loss uses.
    correctCount(model.gpu, logits.data, labels, count.stats, 1);
    if (count.keepLogits) {
      kept = Tensor.empty(model.gpu, logits.data.shape);
      model.gpu.copy(logits.data.buffer, logits.data.offset, kept.buffer, kept.offset, logits.data.byteLength);
    }
  }
  logits.free();
  try {
    tape.backward(loss, model.parameters);
  } catch (err) {
    tape.discard();
    kept?.release();
    throw err;
  }
  return { loss: loss.data, logits: kept };
}

/**
 * Logits with BatchNorm in the mode the model is in (eval() for evaluation), recording no graph:
 * every intermediate is released as soon as the next layer has consumed it. The caller releases
 * the result.
 */
export function forward(model: ResNet18, images: Tensor): Tensor {
  const tape = new Tape(model.gpu, false);
  return model.forward(tape, Var.leaf(images, false, 'images')).data;
}

/** Eval-mode logits (running statistics), whatever mode the model was in. */
export function evalForward(model: ResNet18, images: Tensor): Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return forward(model, images);
  } finally {
    if (wasTraining) model.train();
  }
}
