// Max pooling forward (values and argmax) and backward against the float64 reference; the
// reference's backward against finite differences; ties and NaN as PyTorch chooses them.
import { describe, expect, it } from 'vitest';
import { maxpool2dBackward, maxpool2dForward, type MaxPool2dParams } from '../../src/kernels/maxpool2d.js';
import * as ref from '../../src/reference/maxpool2d.js';
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

// Max pooling copies values and dx sums at most k*k of them: forward must be exact (0 error,
// argmax identical); dx holds sums of up to 4 f32 values, 1e-6 covers their rounding.
const GRAD_TOL = 1e-6;

describe('maxpool2d reference', () => {
  it('backward matches finite differences', () => {
    const shape = [2, 3, 5, 5];
    const p = { kernel: 3, stride: 2, padding: 1 };
    const x = rng.array(150, -2, 2);
    const { y, argmax } = ref.maxpool2dForward(x, shape, p);
    const up = rng.array(y.length);
    const dx = ref.maxpool2dBackward(up, argmax, shape, p);
    expect(relError(dx, numericalGradient((v) => ref.maxpool2dForward(v, shape, p).y, x, up)), why('dx')).toBeLessThan(1e-6);
  });
});

const CASES: Array<[number[], MaxPool2dParams]> = [
  [[1, 3, 7, 7], { kernel: 3, stride: 2, padding: 1 }],
  [[3, 3, 13, 13], { kernel: 3, stride: 2, padding: 1 }],
  [[2, 5, 33, 33], { kernel: 3, stride: 2, padding: 1 }],
  [[3, 7, 8, 9], { kernel: 2, stride: 2, padding: 0 }],
  [[1, 3, 13, 7], { kernel: 3, stride: 1, padding: 0 }],
  [[2, 6, 11, 11], { kernel: 5, stride: 3, padding: 2 }],
  // ResNet18's stem pool at reduced spatial size.
  [[2, 64, 32, 32], { kernel: 3, stride: 2, padding: 1 }],
];

async function check(shape: number[], p: MaxPool2dParams, x: Float64Array): Promise<void> {
  const g = gpu();
  const r = ref.maxpool2dForward(x, shape, p);
  const dy = f32(rng.array(r.y.length));
  const rdx = ref.maxpool2dBackward(dy, r.argmax, shape, p);
  const tx = Tensor.fromArray(g, x, shape);
  const f = maxpool2dForward(g, tx, p);
  const tdy = Tensor.fromArray(g, dy, f.y.shape);
  const dx = maxpool2dBackward(g, tdy, f.argmax, shape, p);
  const tag = `${JSON.stringify(shape)} ${JSON.stringify(p)}`;
  const y = await f.y.toArray();
  const am = await f.argmax.toArray();
  let badY = 0;
  let badA = 0;
  for (let i = 0; i < r.y.length; i++) {
    if (!Object.is(y[i], Math.fround(r.y[i]!)) && !(Number.isNaN(y[i]!) && Number.isNaN(r.y[i]!))) badY++;
    if (am[i] !== r.argmax[i]) badA++;
  }
  expect(badY, why(`y ${tag}`)).toBe(0);
  expect(badA, why(`argmax ${tag}`)).toBe(0);
  expect(relError(await dx.toArray(), rdx), why(`dx ${tag}`)).toBeLessThanOrEqual(GRAD_TOL);
  for (const t of [tx, f.y, f.argmax, tdy, dx]) t.release();
}

describe('maxpool2d kernels vs reference', () => {
  for (const [shape, p] of CASES) {
    it(`forward and backward ${JSON.stringify(shape)} k${p.kernel} s${p.stride} p${p.padding}`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      await check(shape, p, f32(rng.array(n, -3, 3)));
    });
  }
  it('breaks ties like PyTorch (first maximum in scan order)', async () => {
    // Values from {0, 1, 2}: most windows hold several equal maxima.
    const shape = [3, 3, 13, 13];
    const x = Float64Array.from({ length: 3 * 3 * 169 }, () => rng.int(3));
    await check(shape, { kernel: 3, stride: 2, padding: 1 }, x);
  });
  it('propagates NaN (last NaN of a window chosen) and handles -inf windows', async () => {
    const shape = [1, 3, 7, 7];
    const x = f32(rng.array(147, -3, 3));
    for (let i = 0; i < 12; i++) x[rng.int(147)] = NaN;
    for (let i = 0; i < 20; i++) x[rng.int(147)] = -Infinity;
    await check(shape, { kernel: 3, stride: 2, padding: 1 }, x);
  });
  it('rejects padding above half the kernel', () => {
    const g = gpu();
    const x = Tensor.empty(g, [1, 1, 4, 4]);
    expect(() => maxpool2dForward(g, x, { kernel: 2, stride: 2, padding: 2 })).toThrow(RangeError);
    x.release();
  });
});
