// Kernel-lab case: the fused Adadelta update over ResNet18's whole parameter arena.
// params, grads, squareAvg, accDelta: (n) f32, n = every parameter tensor padded to 64 floats;
// mask: (n / 64) u32, all blocks trainable.
import { adadeltaUpdate, OPTIM_BLOCK } from '../../src/kernels/optim.js';
import { ADADELTA_DEFAULTS, adadeltaReference } from '../../src/reference/optim.js';
import { relError, type KernelCase } from '../harness.js';
import type { Resnet18Shapes } from '../shapes.js';
import { defineCase, randomTensor } from './common.js';

export function arenaSize(paramTensors: readonly number[]): number {
  return paramTensors.reduce((s, n) => s + Math.ceil(n / OPTIM_BLOCK) * OPTIM_BLOCK, 0);
}

export function optimCases(shapes: Resnet18Shapes): KernelCase[] {
  const n = arenaSize(shapes.paramTensors);
  const h = ADADELTA_DEFAULTS;
  return [
    defineCase({
      op: 'optim.adadelta',
      layer: 'all parameters',
      shape: `arena[${n}]`,
      count: 1,
      // Per element: square average 3, delta (two sqrt, a division, a product) 4, accumulated
      // delta 3, parameter 2; sqrt and division counted as one operation each.
      flops: 12 * n,
      // Reads params, grads, squareAvg, accDelta; writes params, squareAvg, accDelta; mask words.
      bytes: 7 * 4 * n + 4 * (n / OPTIM_BLOCK),
      referenceMacs: 12 * n,
      // A handful of f32 roundings per element (relative 6e-8 each); the update itself is checked,
      // not the parameters, so the small step is not hidden by the parameter's magnitude.
      tolerance: 1e-4,
      inputs: (rng) => ({
        params: randomTensor(rng, [n]),
        grads: randomTensor(rng, [n]),
        squareAvg: randomTensor(rng, [n], 0, 0.01),
        accDelta: randomTensor(rng, [n], 0, 0.01),
        mask: { data: new Float64Array(n / OPTIM_BLOCK).fill(1), shape: [n / OPTIM_BLOCK], dtype: 'u32' },
      }),
      run: (gpu, t) => {
        adadeltaUpdate(gpu, { params: t.params, grads: t.grads, mask: t.mask }, { squareAvg: t.squareAvg, accDelta: t.accDelta }, h);
        return [];
      },
      inPlace: ['params', 'squareAvg', 'accDelta'],
      outputs: ['update', 'squareAvg', 'accDelta'],
      reference: (host) => {
        const p = Float64Array.from(host.params.data);
        const v = Float64Array.from(host.squareAvg.data);
        const u = Float64Array.from(host.accDelta.data);
        adadeltaReference(p, host.grads.data, v, u, h);
        return [p.map((x, i) => x - host.params.data[i]!), v, u];
      },
      compare: (name, got, want, host) => {
        if (name !== 'update') return relError(got, want);
        const delta = Float64Array.from(got, (x, i) => x - host.params.data[i]!);
        return relError(delta, want);
      },
    }),
  ];
}
