// Reductions (argmaxRows, confusionCounts, sumAll, channelSum) against the float64 reference.
import { describe, expect, it } from 'vitest';
import { argmaxRows, channelSum, confusionCounts, sumAll } from '../../src/kernels/reduce.js';
import { planeVariantOverride } from '../../src/kernels/batchnorm.js';
import * as ref from '../../src/reference/reduce.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const rng = new Rng(seed);
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// Sums use f32 trees or blocks; values are uniform in [0.5, 1.5] (no cancellation, so the
// norm-relative error measures rounding only): about log2(n) or sqrt(n) ulps, well below 1e-4.
// argmax and counts are exact.
const TOL = 1e-4;

describe('reduce kernels vs reference', () => {
  for (const [N, K] of [[1, 1], [3, 44], [37, 3], [200, 7]] as const) {
    it(`argmaxRows (${N}, ${K}) with ties and NaN`, async () => {
      const g = gpu();
      // Small integers make ties common; a few NaN rows check torch.argmax's NaN rule.
      const x = Float64Array.from({ length: N * K }, () => rng.int(4));
      for (let i = 0; i < Math.floor(N / 5); i++) x[rng.int(N * K)] = NaN;
      const t = Tensor.fromArray(g, x, [N, K]);
      const out = argmaxRows(g, t);
      expect(out.dtype).toBe('i32');
      expect([...(await out.toArray())], why('argmax')).toEqual([...ref.argmaxRows(x, N, K)]);
      t.release();
      out.release();
    });
  }

  it('confusionCounts counts and accumulates into an existing table', async () => {
    const g = gpu();
    const K = 44;
    const n = 301;
    const labels = Array.from({ length: n }, () => rng.int(K));
    const preds = labels.map((l) => (rng.next() < 0.5 ? l : rng.int(K)));
    const tl = Tensor.fromArray(g, labels, [n], 'i32');
    const tp = Tensor.fromArray(g, preds, [n], 'i32');
    const counts = confusionCounts(g, tp, tl, K);
    confusionCounts(g, tp, tl, K, counts);
    const want = ref.confusionCounts(preds, labels, K).map((v) => v * 2);
    expect([...(await counts.toArray())], why('counts')).toEqual([...want]);
    for (const t of [tl, tp, counts]) t.release();
  });

  for (const n of [1, 7, 2048, 2049, 100_000]) {
    it(`sumAll over ${n} elements`, async () => {
      const g = gpu();
      const x = f32(rng.array(n, 0.5, 1.5));
      const t = Tensor.fromArray(g, x, [n]);
      const s = sumAll(g, t);
      expect(s.shape).toEqual([1]);
      expect(relError(await s.toArray(), [ref.sumAll(x)]), why(`sum ${n}`)).toBeLessThan(TOL);
      t.release();
      s.release();
    });
  }

  // Both plane variants, (N, C) input, C = 3 and C not a multiple of 4.
  for (const shape of [[1, 3, 7, 7], [3, 5, 33, 33], [3, 7], [64, 44], [2, 64, 16, 16]]) {
    it(`channelSum ${JSON.stringify(shape)} (tree and rows)`, async () => {
      const g = gpu();
      for (const variant of ['tree', 'rows'] as const) {
      planeVariantOverride.variant = variant;
      const x = f32(rng.array(shape.reduce((a, b) => a * b, 1), 0.5, 1.5));
      const t = Tensor.fromArray(g, x, shape);
      const s = channelSum(g, t);
      expect(s.shape).toEqual([shape[1]]);
      expect(relError(await s.toArray(), ref.channelSum(x, shape)), why(`channelSum ${shape} ${variant}`)).toBeLessThan(TOL);
      t.release();
      s.release();
      }
      planeVariantOverride.variant = null;
    });
  }
});
