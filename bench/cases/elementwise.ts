// Kernel-lab cases: the elementwise ops of a ResNet18 step at their real shapes.
// relu / relu backward at the ReLU inputs that follow residual adds; add at the block outputs.
// x, y, dy, dx, a, b: (N, C, H, W) f32.
import { add, relu, reluBackward } from '../../src/kernels/elementwise.js';
import * as ref from '../../src/reference/elementwise.js';
import type { KernelCase } from '../harness.js';
import type { ActShape, Resnet18Shapes } from '../shapes.js';
import { defineCase, numel, randomTensor, shapeText } from './common.js';

// Exact ops on f32 inputs (max, select, one rounded add): anything above f32 rounding is a bug.
const TOL = 1e-6;

function reluCase(s: ActShape): KernelCase {
  const shape = [s.n, s.c, s.h, s.w];
  const e = numel(shape);
  return defineCase({
    op: 'elementwise.relu', layer: s.layer.replace(/add$/, 'relu2'), shape: shapeText('x', shape), count: s.count,
    flops: e, bytes: 8 * e, referenceMacs: e, tolerance: TOL,
    inputs: (rng) => ({ x: randomTensor(rng, shape) }),
    run: (gpu, t) => [relu(gpu, t.x)],
    outputs: ['y'],
    reference: (h) => [ref.relu(h.x.data)],
  });
}

function reluBackwardCase(s: ActShape): KernelCase {
  const shape = [s.n, s.c, s.h, s.w];
  const e = numel(shape);
  return defineCase({
    op: 'elementwise.relu_backward', layer: s.layer.replace(/add$/, 'relu2'), shape: shapeText('dy', shape), count: s.count,
    flops: e, bytes: 12 * e, referenceMacs: e, tolerance: TOL,
    inputs: (rng) => ({ dy: randomTensor(rng, shape), y: { data: ref.relu(randomTensor(rng, shape).data), shape } }),
    run: (gpu, t) => [reluBackward(gpu, t.dy, t.y)],
    outputs: ['dx'],
    reference: (h) => [ref.reluBackward(h.dy.data, h.y.data)],
  });
}

function addCase(s: ActShape): KernelCase {
  const shape = [s.n, s.c, s.h, s.w];
  const e = numel(shape);
  return defineCase({
    op: 'elementwise.add', layer: s.layer, shape: shapeText('a', shape), count: s.count,
    flops: e, bytes: 12 * e, referenceMacs: e, tolerance: TOL,
    inputs: (rng) => ({ a: randomTensor(rng, shape), b: randomTensor(rng, shape) }),
    run: (gpu, t) => [add(gpu, t.a, t.b)],
    outputs: ['y'],
    reference: (h) => [ref.add(h.a.data, h.b.data)],
  });
}

export function elementwiseCases(shapes: Resnet18Shapes): KernelCase[] {
  return [...shapes.adds.map(addCase), ...shapes.adds.map(reluCase), ...shapes.adds.map(reluBackwardCase)];
}
