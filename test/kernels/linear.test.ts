// Linear layer forward and backward (data, weight, bias) against the float64 reference; the
// reference's backward against finite differences.
import { describe, expect, it } from 'vitest';
import { linearBackwardBias, linearBackwardData, linearBackwardWeight, linearForward } from '../../src/kernels/linear.js';
import * as ref from '../../src/reference/linear.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { relError } from '../helpers/compare.js';
import { numericalGradient } from '../helpers/fd.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const rng = new Rng(seed);
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// Forward 1e-4 and gradients 1e-3: all are f32 dot products of at most 512 terms (~1e-6).
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

describe('linear reference', () => {
  it('backward rules match finite differences', () => {
    const [N, inF, outF] = [3, 5, 4];
    const x = rng.array(N * inF);
    const w = rng.array(outF * inF);
    const b = rng.array(outF);
    const up = rng.array(N * outF);
    expect(relError(ref.linearBackwardData(up, w, N, inF, outF), numericalGradient((v) => ref.linearForward(v, w, b, N, inF, outF), x, up)), why('dx')).toBeLessThan(1e-6);
    expect(relError(ref.linearBackwardWeight(x, up, N, inF, outF), numericalGradient((v) => ref.linearForward(x, v, b, N, inF, outF), w, up)), why('dw')).toBeLessThan(1e-6);
    expect(relError(ref.linearBackwardBias(up, N, outF), numericalGradient((v) => ref.linearForward(x, w, v, N, inF, outF), b, up)), why('db')).toBeLessThan(1e-6);
  });
});

// (N, in, out): batch 1 and 3, odd sizes, and ResNet18's fc (512 -> 44 classes) at batch 8.
const SHAPES: Array<[number, number, number]> = [
  [1, 3, 7],
  [3, 13, 5],
  [3, 33, 65],
  [8, 512, 44],
];

describe('linear kernels vs reference', () => {
  for (const [N, inF, outF] of SHAPES) {
    it(`forward and backward N=${N} in=${inF} out=${outF}`, async () => {
      const g = gpu();
      const x = f32(rng.array(N * inF));
      const w = f32(rng.array(outF * inF));
      const b = f32(rng.array(outF));
      const dy = f32(rng.array(N * outF));
      const tx = Tensor.fromArray(g, x, [N, inF]);
      const tw = Tensor.fromArray(g, w, [outF, inF]);
      const tb = Tensor.fromArray(g, b, [outF]);
      const tdy = Tensor.fromArray(g, dy, [N, outF]);
      const y = linearForward(g, tx, tw, tb);
      const y0 = linearForward(g, tx, tw, null);
      const dx = linearBackwardData(g, tdy, tw);
      const dw = linearBackwardWeight(g, tx, tdy);
      const db = linearBackwardBias(g, tdy);
      expect(dx.shape).toEqual([N, inF]);
      expect(dw.shape).toEqual([outF, inF]);
      expect(db.shape).toEqual([outF]);
      expect(relError(await y.toArray(), ref.linearForward(x, w, b, N, inF, outF)), why('y')).toBeLessThan(FWD_TOL);
      expect(relError(await y0.toArray(), ref.linearForward(x, w, null, N, inF, outF)), why('y without bias')).toBeLessThan(FWD_TOL);
      expect(relError(await dx.toArray(), ref.linearBackwardData(dy, w, N, inF, outF)), why('dx')).toBeLessThan(GRAD_TOL);
      expect(relError(await dw.toArray(), ref.linearBackwardWeight(x, dy, N, inF, outF)), why('dw')).toBeLessThan(GRAD_TOL);
      expect(relError(await db.toArray(), ref.linearBackwardBias(dy, N, outF)), why('db')).toBeLessThan(GRAD_TOL);
      for (const t of [tx, tw, tb, tdy, y, y0, dx, dw, db]) t.release();
    });
  }
  it('rejects mismatched shapes', () => {
    const g = gpu();
    const x = Tensor.empty(g, [2, 5]);
    const w = Tensor.empty(g, [3, 4]);
    expect(() => linearForward(g, x, w, null)).toThrow(RangeError);
    x.release();
    w.release();
  });
});
