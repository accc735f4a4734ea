// Kernel-lab cases: ResNet18's 3x3/2 max pool after the stem and its global average pool, forward
// and backward. x, dx: (N, C, H, W); y, dy: (N, C, Ho, Wo) (max) or (N, C) (average);
// argmax: (N, C, Ho, Wo) i32, flat index in the input plane.
import { globalAvgPoolBackward, globalAvgPoolForward } from '../../src/kernels/avgpool.js';
import { maxpool2dBackward, maxpool2dForward } from '../../src/kernels/maxpool2d.js';
import * as avgRef from '../../src/reference/avgpool.js';
import * as maxRef from '../../src/reference/maxpool2d.js';
import { relError, type KernelCase } from '../harness.js';
import type { Resnet18Shapes } from '../shapes.js';
import { defineCase, numel, randomTensor, shapeText } from './common.js';

// Max pooling selects and copies (exact); argmax is compared as numbers (exact). Gradients of
// max pooling add at most 4 overlapping window values per input; average pooling sums H*W values.
const EXACT = 1e-6;
const FWD_TOL = 1e-4;

export function poolCases(shapes: Resnet18Shapes): KernelCase[] {
  const m = shapes.maxpool;
  const p = { kernel: m.k, stride: m.stride, padding: m.pad };
  const x = [m.n, m.c, m.h, m.w];
  const y = [m.n, m.c, m.ho, m.wo];
  const a = shapes.avgpool;
  const ax = [a.n, a.c, a.h, a.w];
  const window = `${m.k}x${m.k}/${m.stride} p${m.pad}`;
  return [
    defineCase({
      op: 'maxpool2d.forward', layer: m.layer, shape: `${shapeText('x', x)} ${window}`, count: 1,
      // One comparison per window element.
      flops: numel(y) * m.k * m.k,
      bytes: 4 * (numel(x) + 2 * numel(y)),
      referenceMacs: numel(y) * m.k * m.k,
      tolerance: EXACT,
      inputs: (rng) => ({ x: randomTensor(rng, x) }),
      run: (gpu, t) => {
        const r = maxpool2dForward(gpu, t.x, p);
        return [r.y, r.argmax];
      },
      outputs: ['y', 'argmax'],
      reference: (h) => {
        const r = maxRef.maxpool2dForward(h.x.data, x, p);
        return [r.y, Float64Array.from(r.argmax)];
      },
      compare: (name, got, want) => (name === 'argmax' ? mismatches(got, want) : relError(got, want)),
    }),
    defineCase({
      op: 'maxpool2d.backward', layer: m.layer, shape: `${shapeText('dy', y)} ${window}`, count: 1,
      flops: numel(y),
      bytes: 4 * (2 * numel(y) + numel(x)),
      referenceMacs: numel(x),
      tolerance: FWD_TOL,
      inputs: (rng) => {
        const xs = randomTensor(rng, x);
        const argmax = maxRef.maxpool2dForward(xs.data, x, p).argmax;
        return { dy: randomTensor(rng, y), argmax: { data: Float64Array.from(argmax), shape: y, dtype: 'i32' as const } };
      },
      run: (gpu, t) => [maxpool2dBackward(gpu, t.dy, t.argmax, x, p)],
      outputs: ['dx'],
      reference: (h) => [maxRef.maxpool2dBackward(h.dy.data, h.argmax.data, x, p)],
    }),
    defineCase({
      op: 'avgpool.forward', layer: a.layer, shape: shapeText('x', ax), count: 1,
      flops: numel(ax),
      bytes: 4 * (numel(ax) + a.n * a.c),
      referenceMacs: numel(ax),
      tolerance: FWD_TOL,
      inputs: (rng) => ({ x: randomTensor(rng, ax) }),
      run: (gpu, t) => [globalAvgPoolForward(gpu, t.x)],
      outputs: ['y'],
      reference: (h) => [avgRef.globalAvgPoolForward(h.x.data, ax)],
    }),
    defineCase({
      op: 'avgpool.backward', layer: a.layer, shape: shapeText('dy', [a.n, a.c]), count: 1,
      flops: numel(ax),
      bytes: 4 * (numel(ax) + a.n * a.c),
      referenceMacs: numel(ax),
      tolerance: EXACT,
      inputs: (rng) => ({ dy: randomTensor(rng, [a.n, a.c]) }),
      run: (gpu, t) => [globalAvgPoolBackward(gpu, t.dy, ax)],
      outputs: ['dx'],
      reference: (h) => [avgRef.globalAvgPoolBackward(h.dy.data, ax)],
    }),
  ];
}

/** Fraction of argmax entries that differ (toFloat32 converted the i32 values exactly). */
function mismatches(got: Float32Array, want: Float64Array): number {
  let bad = 0;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) bad++;
  return bad / Math.max(1, want.length);
}
