// correctCount (fused row argmax == label count) against the float64 argmax reference, on a device
// whose storage bindings are capped at 2 KiB so the larger shapes take the chunked path (later
// chunks add to the first one's count).
import { describe, expect, it } from 'vitest';
import { argmaxRows, correctCount } from '../../src/kernels/reduce.js';
import * as ref from '../../src/reference/reduce.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true, maxBindingBytes: 2048 });
const seed = testSeed();
const rng = new Rng(seed);
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

function refCount(x: ArrayLike<number>, labels: ArrayLike<number>, N: number, K: number): number {
  const pred = ref.argmaxRows(x, N, K);
  let c = 0;
  for (let i = 0; i < N; i++) if (pred[i] === labels[i]) c++;
  return c;
}

// Counts are exact (integers far below 2^24 in f32): compared with toBe.
describe('correctCount vs reference', () => {
  // (200, 7) and (130, 15) span several 2 KiB chunks; (1, 1), (3, 44) and (6, 5) fit one.
  for (const [N, K] of [[1, 1], [3, 44], [6, 5], [200, 7], [130, 15]] as const) {
    it(`(${N}, ${K}) with ties, NaN rows, about half the labels right`, async () => {
      const g = gpu();
      // Small integers make ties common, so the first-maximum rule matters; NaN rows check that a
      // NaN counts as the maximum, as in argmaxRows.
      const x = Float64Array.from({ length: N * K }, () => rng.int(4));
      for (let i = 0; i < Math.floor(N / 5); i++) x[rng.int(N * K)] = NaN;
      const pred = ref.argmaxRows(x, N, K);
      const labels = Array.from(pred, (p) => (rng.next() < 0.5 ? p : rng.int(K)));
      const tx = Tensor.fromArray(g, x, [N, K]);
      const tl = Tensor.fromArray(g, labels, [N], 'i32');
      const out = correctCount(g, tx, tl);
      expect(out.shape).toEqual([1]);
      const want = refCount(x, labels, N, K);
      expect((await out.toArray())[0], why('count')).toBe(want);
      // Same rule as the argmaxRows kernel on the same data.
      const am = argmaxRows(g, tx);
      const gpuPred = await am.toArray();
      expect(labels.filter((l, i) => l === gpuPred[i]).length, why('argmaxRows agrees')).toBe(want);
      for (const t of [tx, tl, out, am]) t.release();
    });
  }

  it('writes into one element of an existing tensor and leaves the others alone', async () => {
    const g = gpu();
    const N = 150; // chunked: the later chunks must add to this element, not to element 0
    const K = 4;
    const x = rng.array(N * K, -3, 3);
    const labels = Array.from({ length: N }, () => rng.int(K));
    const tx = Tensor.fromArray(g, x, [N, K]);
    const tl = Tensor.fromArray(g, labels, [N], 'i32');
    const into = Tensor.fromArray(g, [-7.5, 12345, 3.25], [3]); // stale values: element 1 is overwritten, not added to
    expect(correctCount(g, tx, tl, into, 1)).toBe(into);
    const got = await into.toArray();
    expect([...got], why('into')).toEqual([-7.5, refCount(Float32Array.from(x), labels, N, K), 3.25]);
    for (const t of [tx, tl, into]) t.release();
  });

  it('all right, all wrong, and labels out of range never count', async () => {
    const g = gpu();
    const N = 70;
    const K = 3;
    const x = rng.array(N * K, -1, 1);
    const pred = ref.argmaxRows(Float32Array.from(x), N, K);
    const tx = Tensor.fromArray(g, x, [N, K]);
    for (const [labels, want] of [
      [Array.from(pred), N],
      [Array.from(pred, (p) => (p + 1) % K), 0],
      [Array.from(pred, (p, i) => (i % 2 ? -1 : p + K)), 0],
    ] as const) {
      const tl = Tensor.fromArray(g, labels, [N], 'i32');
      const out = correctCount(g, tx, tl);
      expect((await out.toArray())[0], why(`want ${want}`)).toBe(want);
      tl.release();
      out.release();
    }
    tx.release();
  });

  it('rejects mismatched shapes', () => {
    const g = gpu();
    const tx = Tensor.fromArray(g, [1, 2, 3, 4, 5, 6], [2, 3]);
    const tl = Tensor.fromArray(g, [0, 1, 2], [3], 'i32');
    expect(() => correctCount(g, tx, tl)).toThrow(RangeError);
    const tf = Tensor.fromArray(g, [0, 1], [2]);
    expect(() => correctCount(g, tx, tf)).toThrow(/i32/);
    for (const t of [tx, tl, tf]) t.release();
  });
});
