// One training step and the evaluation forward, as the CLI and the web page call them.
// images: (N, 3, H, W) f32 normalised; labels: (N) i32; loss: (1) f32; logits: (N, numClasses).
//
// A step records everything (forward, backward, the optimiser's one fused update) into the open
// command encoder and reads nothing back; the caller submits (gpu.submit()) and reads the loss
// asynchronously every few steps.
import type { Tensor } from '../gpu/tensor.js';
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
 * Forward and backward only: leaves every trainable parameter's gradient in model.arena.grads
 * (and its views) and returns the loss tensor. Used by trainStep and by the parity tests.
 */
export function lossAndGradients(model: ResNet18, images: Tensor, labels: Tensor, lossOpts: LossOptions = {}): Tensor {
  const tape = new Tape(model.gpu, true);
  const x = Var.leaf(images, false, 'images');
  const logits = model.forward(tape, x);
  const loss = crossEntropy(tape, logits, labels, lossOpts);
  logits.free();
  try {
    tape.backward(loss, model.parameters);
  } catch (err) {
    tape.discard();
    throw err;
  }
  return loss.data;
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
