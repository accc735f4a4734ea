// Kernel-lab cases: training-mode BatchNorm2d fused with ReLU, forward and backward, at every
// BatchNorm shape of ResNet18. x, y, dy, dx: (N, C, H, W); weight, bias, stats: (C).
import { batchnormBackward, batchnormTrainForward } from '../../src/kernels/batchnorm.js';
import * as ref from '../../src/reference/batchnorm.js';
import type { KernelCase } from '../harness.js';
import type { ActShape, Resnet18Shapes } from '../shapes.js';
import { defineCase, numel, randomTensor, shapeText } from './common.js';

const P = { eps: 1e-5, momentum: 0.1, relu: true };
// Convention tolerances: forward 1e-4, gradients 1e-3 (f32 sums over N*H*W values per channel).
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

function forwardCase(s: ActShape): KernelCase {
  const x = [s.n, s.c, s.h, s.w];
  const e = numel(x);
  return defineCase({
    op: 'batchnorm.train_forward',
    layer: s.layer,
    shape: `${shapeText('x', x)} relu`,
    count: s.count,
    // Per element: sum 1, centred sum and square 3, scale-shift (fma) 2, ReLU 1.
    flops: 7 * e,
    // x read once, y written once, five (C) vectors read or written (minimum traffic).
    bytes: 8 * e + 4 * 7 * s.c,
    referenceMacs: 4 * e,
    tolerance: FWD_TOL,
    inputs: (rng) => ({
      x: randomTensor(rng, x, -2, 3),
      weight: randomTensor(rng, [s.c], 0.5, 1.5),
      bias: randomTensor(rng, [s.c]),
      runningMean: randomTensor(rng, [s.c]),
      runningVar: randomTensor(rng, [s.c], 0.5, 2),
    }),
    run: (gpu, t) => {
      const r = batchnormTrainForward(gpu, t.x, t.weight, t.bias, t.runningMean, t.runningVar, P);
      return [r.y, r.saveMean, r.saveInvstd];
    },
    inPlace: ['runningMean', 'runningVar'],
    outputs: ['y', 'saveMean', 'saveInvstd', 'runningMean', 'runningVar'],
    reference: (h) => {
      const r = ref.batchnormTrainForward(h.x.data, x, h.weight.data, h.bias.data, h.runningMean.data, h.runningVar.data, P);
      return [r.y, r.saveMean, r.saveInvstd, r.runningMean, r.runningVar];
    },
  });
}

function backwardCase(s: ActShape): KernelCase {
  const x = [s.n, s.c, s.h, s.w];
  const e = numel(x);
  return defineCase({
    op: 'batchnorm.backward',
    layer: s.layer,
    shape: `${shapeText('x', x)} relu`,
    count: s.count,
    // Per element: masked dy 1, two sums 3, dx (xhat, two fma, scale) 5.
    flops: 9 * e,
    // dy, x, y read once, dx written once; (C) vectors read or written.
    bytes: 16 * e + 4 * 5 * s.c,
    referenceMacs: 4 * e,
    tolerance: GRAD_TOL,
    inputs: (rng) => {
      const xs = randomTensor(rng, x, -2, 3);
      const weight = randomTensor(rng, [s.c], 0.5, 1.5);
      const bias = randomTensor(rng, [s.c]);
      const f = ref.batchnormTrainForward(xs.data, x, weight.data, bias.data, new Float64Array(s.c), new Float64Array(s.c).fill(1), P);
      return {
        dy: randomTensor(rng, x),
        x: xs,
        weight,
        saveMean: { data: f.saveMean.map(Math.fround), shape: [s.c] },
        saveInvstd: { data: f.saveInvstd.map(Math.fround), shape: [s.c] },
        y: { data: f.y.map(Math.fround), shape: x },
      };
    },
    run: (gpu, t) => {
      const r = batchnormBackward(gpu, t.dy, t.x, t.weight, t.saveMean, t.saveInvstd, t.y);
      return [r.dx, r.dweight, r.dbias];
    },
    outputs: ['dx', 'dweight', 'dbias'],
    reference: (h) => {
      const r = ref.batchnormBackward(h.dy.data, h.x.data, x, h.weight.data, h.saveMean.data, h.saveInvstd.data, h.y.data);
      return [r.dx, r.dweight, r.dbias];
    },
  });
}

export function batchnormCases(shapes: Resnet18Shapes): KernelCase[] {
  return [...shapes.batchnorms.map(forwardCase), ...shapes.batchnorms.map(backwardCase)];
}
