// Batchnorm kernels (train forward with running stats, eval forward, backward; optional fused
// ReLU) against the float64 reference; the reference's backward against finite differences.
import { describe, expect, it } from 'vitest';
import { batchnormBackward, batchnormEvalForward, batchnormTrainForward, planeVariant, planeVariantOverride } from '../../src/kernels/batchnorm.js';
import * as ref from '../../src/reference/batchnorm.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { relError } from '../helpers/compare.js';
import { numericalGradient } from '../helpers/fd.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const rng = new Rng(seed);
// Inputs are rounded to f32 first, so the reference sees exactly what the GPU sees.
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// Forward 1e-4: outputs are (x - mean) * invstd of O(1); f32 tree sums keep the statistics'
// relative error near 1e-6. Gradients 1e-3: dx subtracts two means of products, cancellation
// in f32 costs a few more digits than the forward, still far below 1e-3.
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

describe('batchnorm reference', () => {
  for (const relu of [false, true]) {
    it(`backward matches finite differences (relu ${relu})`, () => {
      const shape = [2, 3, 2, 3];
      const n = 36;
      const x = rng.array(n, -2, 2);
      const w = rng.array(3, 0.5, 1.5);
      const b = rng.array(3, -0.5, 0.5);
      const up = rng.array(n);
      const p = { eps: 1e-5, momentum: 0.1, relu };
      const fwd = (xx: Float64Array, ww: Float64Array, bb: Float64Array): Float64Array =>
        ref.batchnormTrainForward(xx, shape, ww, bb, new Float64Array(3), new Float64Array(3).fill(1), p).y;
      const f = ref.batchnormTrainForward(x, shape, w, b, new Float64Array(3), new Float64Array(3).fill(1), p);
      const g = ref.batchnormBackward(up, x, shape, w, f.saveMean, f.saveInvstd, relu ? f.y : null);
      expect(relError(g.dx, numericalGradient((v) => fwd(v, w, b), x, up)), why('dx')).toBeLessThan(1e-6);
      expect(relError(g.dweight, numericalGradient((v) => fwd(x, v, b), w, up)), why('dweight')).toBeLessThan(1e-6);
      expect(relError(g.dbias, numericalGradient((v) => fwd(x, w, v), b, up)), why('dbias')).toBeLessThan(1e-6);
    });
  }
});

// Batch 1 and 3, C = 3, odd H/W (7, 13, 33), channel counts not multiples of 4, and ResNet18's
// batchnorm shapes (64..512 channels) at reduced spatial size.
const SHAPES: number[][] = [
  [1, 3, 7, 7],
  [3, 3, 13, 13],
  [2, 5, 33, 33],
  [3, 7, 1, 1],
  [2, 64, 16, 16],
  [3, 128, 8, 8],
  [1, 256, 4, 4],
  [2, 512, 2, 2],
];

async function check(shape: number[], relu: boolean, offset = 0): Promise<void> {
  const g = gpu();
  const [N, C, H, W] = shape as [number, number, number, number];
  const n = N * C * H * W;
  // A channel offset makes the mean large against the spread: a one-pass E[x^2] - E[x]^2 in f32
  // would lose the variance; the two-pass kernels must not.
  const x = f32(rng.array(n, -1, 1).map((v, i) => v * (1 + (Math.floor(i / (H * W)) % C) * 0.1) + offset));
  const w = f32(rng.array(C, 0.5, 1.5));
  const b = f32(rng.array(C, -0.5, 0.5));
  const rm = f32(rng.array(C, -0.2, 0.2));
  const rv = f32(rng.array(C, 0.5, 1.5));
  const dy = f32(rng.array(n));
  const p = { eps: 1e-5, momentum: 0.1, relu };
  const r = ref.batchnormTrainForward(x, shape, w, b, rm, rv, p);
  const rb = ref.batchnormBackward(dy, x, shape, w, r.saveMean, r.saveInvstd, relu ? r.y : null);
  const re = ref.batchnormEvalForward(x, shape, w, b, rm, rv, p);

  const tx = Tensor.fromArray(g, x, shape);
  const tw = Tensor.fromArray(g, w, [C]);
  const tb = Tensor.fromArray(g, b, [C]);
  const trm = Tensor.fromArray(g, rm, [C]);
  const trv = Tensor.fromArray(g, rv, [C]);
  const ye = batchnormEvalForward(g, tx, tw, tb, trm, trv, p);
  const f = batchnormTrainForward(g, tx, tw, tb, trm, trv, p);
  const tdy = Tensor.fromArray(g, dy, shape);
  const bw = batchnormBackward(g, tdy, tx, tw, f.saveMean, f.saveInvstd, relu ? f.y : null);
  const tag = `${JSON.stringify(shape)} relu=${relu} offset=${offset}`;
  expect(relError(await ye.toArray(), re), why(`eval y ${tag}`)).toBeLessThan(FWD_TOL);
  expect(relError(await f.y.toArray(), r.y), why(`y ${tag}`)).toBeLessThan(FWD_TOL);
  expect(relError(await f.saveMean.toArray(), r.saveMean), why(`mean ${tag}`)).toBeLessThan(FWD_TOL);
  expect(relError(await f.saveInvstd.toArray(), r.saveInvstd), why(`invstd ${tag}`)).toBeLessThan(FWD_TOL);
  expect(relError(await trm.toArray(), r.runningMean), why(`running mean ${tag}`)).toBeLessThan(FWD_TOL);
  expect(relError(await trv.toArray(), r.runningVar), why(`running var ${tag}`)).toBeLessThan(FWD_TOL);
  expect(relError(await bw.dx.toArray(), rb.dx), why(`dx ${tag}`)).toBeLessThan(GRAD_TOL);
  expect(relError(await bw.dweight.toArray(), rb.dweight), why(`dweight ${tag}`)).toBeLessThan(GRAD_TOL);
  expect(relError(await bw.dbias.toArray(), rb.dbias), why(`dbias ${tag}`)).toBeLessThan(GRAD_TOL);
  for (const t of [tx, tw, tb, trm, trv, ye, f.y, f.saveMean, f.saveInvstd, tdy, bw.dx, bw.dweight, bw.dbias]) t.release();
}

describe('batchnorm kernels vs reference', () => {
  afterEach(() => {
    planeVariantOverride.variant = null;
  });
  it('SwiftShader always takes the barrier-free plane reduction', () => {
    if (gpu().adapter.isSwiftShader) expect(planeVariant(gpu(), 112 * 112)).toBe('rows');
    else expect(planeVariant(gpu(), 112 * 112)).toBe('tree');
  });
  // The automatic variant on every shape, then both variants forced on a subset.
  for (const shape of SHAPES) {
    it(`train/eval forward and backward ${JSON.stringify(shape)}`, async () => {
      await check(shape, false);
      await check(shape, true);
    });
  }
  for (const variant of ['tree', 'rows'] as const) {
    it(`${variant} plane reduction on odd and ResNet18 shapes`, async () => {
      planeVariantOverride.variant = variant;
      for (const shape of [[1, 3, 7, 7], [3, 5, 33, 33], [2, 64, 16, 16]]) await check(shape, true);
    });
    it(`${variant}: keeps the variance when the mean is large against the spread`, async () => {
      planeVariantOverride.variant = variant;
      await check([2, 3, 33, 33], false, 1000);
      await check([3, 5, 7, 7], true, 1000);
    });
  }
  it('rejects a channel mismatch and a single value per channel', () => {
    const g = gpu();
    const x = Tensor.empty(g, [1, 3, 1, 1]);
    const c3 = Tensor.empty(g, [3]);
    const c4 = Tensor.empty(g, [4]);
    const p = { eps: 1e-5, momentum: 0.1 };
    expect(() => batchnormTrainForward(g, x, c4, c3, c3, c3, p)).toThrow(RangeError);
    expect(() => batchnormTrainForward(g, x, c3, c3, c3, c3, p)).toThrow(/more than 1 value/);
    for (const t of [x, c3, c4]) t.release();
  });
});
