// Elementwise kernels (relu, reluBackward, add, addInto, scale) against the float64 reference;
// the reference's backward rules against finite differences.
import { describe, expect, it } from 'vitest';
import { add, addInto, relu, reluBackward, scale } from '../../src/kernels/elementwise.js';
import * as ref from '../../src/reference/elementwise.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { fillTensor } from '../../src/kernels/fill.js';
import { relError } from '../helpers/compare.js';
import { numericalGradient } from '../helpers/fd.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const rng = new Rng(seed);
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// One f32 operation per element: results are the correctly rounded f32 of the exact value, so
// the error is at most 2^-24 relative; 1e-6 bounds it (stricter than the project's 1e-4/1e-3).
const TOL = 1e-6;

describe('elementwise reference', () => {
  it('relu and scale backward rules match finite differences', () => {
    const x = rng.array(40, -2, 2);
    const up = rng.array(40);
    const y = ref.relu(x);
    expect(relError(ref.reluBackward(up, y), numericalGradient((v) => ref.relu(v), x, up)), why('relu')).toBeLessThan(1e-6);
    // d(s x)/dx = s: scale's backward is scale itself; add's is the identity to both inputs.
    expect(relError(ref.scale(up, 0.7), numericalGradient((v) => ref.scale(v, 0.7), x, up)), why('scale')).toBeLessThan(1e-6);
    const b = rng.array(40);
    expect(relError(up, numericalGradient((v) => ref.add(v, b), x, up)), why('add')).toBeLessThan(1e-6);
  });
});

// Batch 1 and 3, C = 3, odd sizes, a ResNet18 activation at reduced size, and a count that is
// not a multiple of the workgroup size.
const SHAPES = [[1, 3, 7, 7], [3, 3, 13, 13], [2, 5, 33, 33], [3, 64, 16, 16], [1001]];

describe('elementwise kernels vs reference', () => {
  for (const shape of SHAPES) {
    it(`relu, reluBackward, add, addInto, scale ${JSON.stringify(shape)}`, async () => {
      const g = gpu();
      const n = shape.reduce((a, b) => a * b, 1);
      const x = f32(rng.array(n, -2, 2));
      const b = f32(rng.array(n, -2, 2));
      const tx = Tensor.fromArray(g, x, shape);
      const tb = Tensor.fromArray(g, b, shape);
      const y = relu(g, tx);
      const dx = reluBackward(g, tb, y);
      const s = add(g, tx, tb);
      const sc = scale(g, tx, -1.375);
      const acc = Tensor.fromArray(g, x, shape);
      addInto(g, acc, tb);
      addInto(g, acc, tb);
      const ry = ref.relu(x);
      expect(relError(await y.toArray(), ry), why(`relu ${shape}`)).toBeLessThan(TOL);
      expect(relError(await dx.toArray(), ref.reluBackward(b, ry)), why(`reluBackward ${shape}`)).toBeLessThan(TOL);
      expect(relError(await s.toArray(), ref.add(x, b)), why(`add ${shape}`)).toBeLessThan(TOL);
      expect(relError(await sc.toArray(), ref.scale(x, -1.375)), why(`scale ${shape}`)).toBeLessThan(TOL);
      expect(relError(await acc.toArray(), ref.add(ref.add(x, b), b)), why(`addInto ${shape}`)).toBeLessThan(TOL);
      for (const t of [tx, tb, y, dx, s, sc, acc]) t.release();
    });
  }
  it('handles more than 65,535 workgroups (folded into x and y): a fill of 65,538 workgroups of 256, then a map over the same 16.8 M elements', async () => {
    const g = gpu();
    const n = 65_537 * 256 + 3;
    expect(Math.ceil(n / 256)).toBeGreaterThan(g.limits.maxWorkgroupsPerDimension);
    const filled = Tensor.empty(g, [n]);
    fillTensor(filled, 0.75);
    const f = await filled.toArray();
    let badFill = 0;
    for (let i = 0; i < n; i++) if (f[i] !== 0.75) badFill++;
    expect(badFill).toBe(0);
    filled.release();
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 2001) / 1000 - 1;
    const tx = Tensor.fromArray(g, x, [n]);
    const y = scale(g, tx, 0.5);
    const out = await y.toArray();
    let bad = 0;
    for (let i = 0; i < n; i++) if (out[i] !== x[i]! * 0.5) bad++;
    expect(bad).toBe(0);
    tx.release();
    y.release();
  });
  it('writes nothing past the output (counts that are not multiples of the 4 elements per invocation)', async () => {
    // addInto writes the caller's tensor: a view at the start of a buffer whose tail holds a
    // sentinel. Every op runs the same template, so its guards are checked here.
    const g = gpu();
    for (const n of [1, 2, 3, 5, 1001, 1026]) {
      const b = Tensor.fromArray(g, Array.from({ length: n }, (_, i) => i), [n]);
      const room = Math.ceil((n + 64) / 64) * 64;
      const arena = Tensor.fromArray(g, new Float32Array(room).fill(-7), [room]);
      const acc = arena.subView(0, [n]);
      acc.write(new Float32Array(n).fill(2));
      addInto(g, acc, b);
      const host = await arena.toArray();
      for (let i = 0; i < room; i++) {
        const want = i < n ? i + 2 : -7;
        if (host[i] !== want) throw new Error(`n=${n}: element ${i} is ${host[i]}, expected ${want}`);
      }
      for (const t of [b, arena]) t.release();
    }
  });
  it('relu keeps NaN, and shape mismatches are rejected', async () => {
    const g = gpu();
    const t = Tensor.fromArray(g, [NaN, -1, 2], [3]);
    const y = relu(g, t);
    const out = await y.toArray();
    expect(Number.isNaN(out[0])).toBe(true);
    expect([out[1], out[2]]).toEqual([0, 2]);
    const u = Tensor.empty(g, [4]);
    expect(() => add(g, t, u)).toThrow(RangeError);
    for (const v of [t, y, u]) v.release();
  });
});
