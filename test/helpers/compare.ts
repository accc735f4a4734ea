// Comparing GPU results with float64 references, and GPU results with each other bit for bit.
import { expect } from 'vitest';

/** max|actual - expected| / max|expected| (norm-relative error); NaN anywhere gives Infinity. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a)) return Infinity;
    maxDiff = Math.max(maxDiff, Math.abs(a - e));
    maxRef = Math.max(maxRef, Math.abs(e));
  }
  return maxDiff / Math.max(1e-12, maxRef);
}

/** Index of the first non-finite value (an unwritten, poisoned element), or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/** Asserts that actual and expected hold the same f32 bits, naming the first difference. */
export function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const i = firstBitDifference(actual, expected);
  expect(i, `${what} differs first at ${i} (${actual[i]} vs ${expected[i]})`).toBe(-1);
}

/** Index of the first element whose f32 bits differ (NaN-safe), -1 when none; 0 for different lengths. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.findIndex((bits, k) => bits !== y[k]);
}
