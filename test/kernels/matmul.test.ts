// Matmul (both variants, all transpose combinations, with and without bias) against the
// float64 reference.
import { describe, expect, it } from 'vitest';
import { gemm, matmul, matmulVariant, type MatmulVariant } from '../../src/kernels/matmul.js';
import * as ref from '../../src/reference/matmul.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const rng = new Rng(seed);
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// Forward 1e-4: each output is an f32 dot product of K <= 512 terms of O(1); rounding grows
// like sqrt(K) * 2^-24 relative to the largest output, about 1e-6.
const TOL = 1e-4;

// (M, N, K): tiny, odd, not multiples of 4 or of the 64-wide tile, ResNet18's fc (batch x 44
// classes x 512 features) and its transposes, and sizes spanning several tiles.
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 3, 7],
  [3, 13, 33],
  [7, 44, 512],
  [44, 512, 7],
  [65, 67, 63],
  [130, 129, 20],
];

async function check(variant: MatmulVariant, [M, N, K]: [number, number, number], transA: boolean, transB: boolean, withBias: boolean): Promise<void> {
  const g = gpu();
  const a = f32(rng.array(M * K));
  const b = f32(rng.array(K * N));
  const bias = f32(rng.array(N));
  const ta = Tensor.fromArray(g, a, transA ? [K, M] : [M, K]);
  const tb = Tensor.fromArray(g, b, transB ? [N, K] : [K, N]);
  const tbias = Tensor.fromArray(g, bias, [N]);
  const c = gemm(g, ta, tb, { transA, transB, variant, bias: withBias ? tbias : null });
  expect(c.shape).toEqual([M, N]);
  const r = ref.matmul(a, b, M, N, K, { transA, transB });
  if (withBias) for (let i = 0; i < r.length; i++) r[i]! += bias[i % N]!;
  expect(relError(await c.toArray(), r), why(`${variant} ${M}x${N}x${K} tA=${transA} tB=${transB} bias=${withBias}`)).toBeLessThan(TOL);
  for (const t of [ta, tb, tbias, c]) t.release();
}

describe('matmul kernels vs reference', () => {
  it('picks the barrier-free variant on SwiftShader', () => {
    expect(matmulVariant(gpu())).toBe(gpu().adapter.isSwiftShader ? 'regs' : 'tiled');
  });
  for (const variant of ['regs', 'tiled'] as const) {
    for (const shape of SHAPES) {
      it(`${variant} ${shape.join('x')} (M x N x K), all transposes`, async () => {
        for (const transA of [false, true]) for (const transB of [false, true]) await check(variant, shape, transA, transB, transA === transB);
      });
    }
  }
  it('matmul() and shape errors', async () => {
    const g = gpu();
    const a = Tensor.fromArray(g, [1, 2, 3, 4, 5, 6], [2, 3]);
    const b = Tensor.fromArray(g, [1, 0, 0, 1, 1, 1], [3, 2]);
    const c = matmul(g, a, b);
    expect([...(await c.toArray())]).toEqual([4, 5, 10, 11]);
    expect(() => matmul(g, a, a)).toThrow(RangeError);
    for (const t of [a, b, c]) t.release();
  });
});
