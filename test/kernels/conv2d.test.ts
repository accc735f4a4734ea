// conv2d kernels against the float64 reference; the reference's backward rules against finite
// differences. x: (N, C, H, W)  weight: (Cout, C, kh, kw)  y: (N, Cout, Ho, Wo), f32 NCHW.
//
// Tolerances (norm-relative, relError): forward <= 1e-4. Each output is an f32 sum of C*kh*kw
// (<= 4608 here) products; rounding grows like sqrt(K) * 6e-8, i.e. about 1e-5 at worst, so 1e-4
// catches any wrong term (one wrong product among 4608 of similar size is ~2e-4 of the max).
// Gradients <= 1e-3: dweight sums N*Ho*Wo products and dx sums Cout*kh*kw, with more cancellation
// relative to the largest element, the project's standard gradient bound.
import { describe, expect, it } from 'vitest';
import {
  CONV2D_VARIANTS,
  conv2dBackwardBias,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dOutputSize,
  tiledSplitK,
  type Conv2dOptions,
  type Conv2dParams,
} from '../../src/kernels/conv2d.js';
import {
  conv2dBackwardBiasRef,
  conv2dBackwardDataRef,
  conv2dBackwardWeightRef,
  conv2dForwardRef,
} from '../../src/reference/conv2d.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import type { Gpu } from '../../src/gpu/runtime.js';
import { firstNonFinite, relError } from '../helpers/compare.js';
import { numericalGradient } from '../helpers/fd.js';
import { useGpu } from '../helpers/gpu.js';

const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

interface Case {
  name: string;
  n: number;
  c: number;
  h: number;
  w: number;
  co: number;
  k: number;
  p: Conv2dParams;
  bias?: boolean;
}

const c = (name: string, n: number, ci: number, h: number, w: number, co: number, k: number, stride: number, padding: number, bias = true): Case => ({
  name,
  n,
  c: ci,
  h,
  w,
  co,
  k,
  p: { stride, padding },
  bias,
});

// The general grid: batch 1 and 3, C=3, odd sizes, stride 2 on odd sizes, channels not multiples of 4.
const GRID: Case[] = [
  c('3x3/1 C=3 7x7 batch 3', 3, 3, 7, 7, 5, 3, 1, 1),
  c('3x3/2 C=5 13x13 batch 1', 1, 5, 13, 13, 13, 3, 2, 1, false),
  c('7x7/2 pad 3 C=3 33x33 batch 1', 1, 3, 33, 33, 8, 7, 2, 3),
  c('1x1/1 C=13 7x13 batch 3', 3, 13, 7, 13, 5, 1, 1, 0),
  c('1x1/2 C=5 13x7 batch 1', 1, 5, 13, 7, 6, 1, 2, 0, false),
  c('3x3/1 no padding 13x7 batch 3', 3, 5, 13, 7, 3, 3, 1, 0),
  c('1x1 pad 1 (general path) 7x7', 1, 3, 7, 7, 4, 1, 1, 1),
];

// ResNet18's conv shapes (channels, kernel, stride, padding) at reduced spatial size.
const RESNET: Case[] = [
  c('conv1 7x7/2 3->64 at 16x16', 2, 3, 16, 16, 64, 7, 2, 3, false),
  c('layer1 3x3 64->64 at 8x8', 2, 64, 8, 8, 64, 3, 1, 1, false),
  c('layer2.0 3x3/2 64->128 8->4', 2, 64, 8, 8, 128, 3, 2, 1, false),
  c('layer2 3x3 128->128 at 4x4', 1, 128, 4, 4, 128, 3, 1, 1, false),
  c('layer2 downsample 1x1/2 64->128', 2, 64, 8, 8, 128, 1, 2, 0, false),
  c('layer3.0 3x3/2 128->256 4->2', 1, 128, 4, 4, 256, 3, 2, 1, false),
  c('layer3 3x3 256->256 at 2x2', 1, 256, 2, 2, 256, 3, 1, 1, false),
  c('layer3 downsample 1x1/2 128->256', 1, 128, 4, 4, 256, 1, 2, 0, false),
  c('layer4.0 3x3/2 256->512 4->2', 1, 256, 4, 4, 512, 3, 2, 1, false),
  c('layer4 3x3 512->512 at 2x2', 1, 512, 2, 2, 512, 3, 1, 1, false),
  c('layer4 downsample 1x1/2 256->512', 1, 256, 4, 4, 512, 1, 2, 0, false),
];

function release(...ts: Tensor[]): void {
  for (const t of ts) t.release();
}

/** Runs all four passes of one case on the GPU and compares each with the reference. */
async function checkCase(gpu: Gpu, cs: Case, opts: Conv2dOptions): Promise<void> {
  const seed = testSeed();
  const rng = new Rng(seed);
  const tag = `${cs.name} ${opts.variant ?? 'default'} seed ${seed}`;
  const xShape = [cs.n, cs.c, cs.h, cs.w];
  const wShape = [cs.co, cs.c, cs.k, cs.k];
  const [ho, wo] = conv2dOutputSize(cs.h, cs.w, cs.k, cs.k, cs.p);
  const yShape = [cs.n, cs.co, ho, wo];
  const x = rng.array(cs.n * cs.c * cs.h * cs.w);
  const w = rng.array(cs.co * cs.c * cs.k * cs.k);
  const b = cs.bias ? rng.array(cs.co) : null;
  const dy = rng.array(cs.n * cs.co * ho * wo);

  const X = Tensor.fromArray(gpu, x, xShape);
  const Wt = Tensor.fromArray(gpu, w, wShape);
  const B = b ? Tensor.fromArray(gpu, b, [cs.co]) : null;
  const DY = Tensor.fromArray(gpu, dy, yShape);

  const y = conv2dForward(gpu, X, Wt, B, cs.p, opts);
  const dx = conv2dBackwardData(gpu, DY, Wt, xShape, cs.p, opts);
  const dw = conv2dBackwardWeight(gpu, X, DY, wShape, cs.p, opts);
  const db = conv2dBackwardBias(gpu, DY);
  expect(y.shape, tag).toEqual(yShape);
  expect(dx.shape, tag).toEqual(xShape);
  expect(dw.shape, tag).toEqual(wShape);

  const yGot = await y.toFloat32();
  const dxGot = await dx.toFloat32();
  const dwGot = await dw.toFloat32();
  const dbGot = await db.toFloat32();
  // Poisoned outputs: an element no invocation wrote is NaN and is reported by index.
  expect(firstNonFinite(yGot), `forward unwritten element, ${tag}`).toBe(-1);
  expect(firstNonFinite(dxGot), `dx unwritten element, ${tag}`).toBe(-1);
  expect(firstNonFinite(dwGot), `dweight unwritten element, ${tag}`).toBe(-1);
  expect(relError(yGot, conv2dForwardRef(x, xShape, w, wShape, b, cs.p)), `forward ${tag}`).toBeLessThanOrEqual(FWD_TOL);
  expect(relError(dxGot, conv2dBackwardDataRef(dy, w, wShape, xShape, cs.p)), `dx ${tag}`).toBeLessThanOrEqual(GRAD_TOL);
  expect(relError(dwGot, conv2dBackwardWeightRef(x, xShape, dy, wShape, cs.p)), `dweight ${tag}`).toBeLessThanOrEqual(GRAD_TOL);
  expect(relError(dbGot, conv2dBackwardBiasRef(dy, yShape)), `dbias ${tag}`).toBeLessThanOrEqual(GRAD_TOL);
  release(X, Wt, DY, y, dx, dw, db, ...(B ? [B] : []));
}

describe('conv2d reference backward rules (finite differences)', () => {
  const shapes: { name: string; x: number[]; w: number[]; p: Conv2dParams }[] = [
    { name: '3x3/2 pad 1 on 5x4', x: [2, 2, 5, 4], w: [3, 2, 3, 3], p: { stride: 2, padding: 1 } },
    { name: '1x1/2 on 5x5', x: [1, 3, 5, 5], w: [2, 3, 1, 1], p: { stride: 2, padding: 0 } },
    { name: '2x3 kernel /1 pad 0 on 4x5', x: [1, 2, 4, 5], w: [2, 2, 2, 3], p: { stride: 1, padding: 0 } },
  ];
  for (const s of shapes) {
    it(`dx, dweight and dbias match central differences: ${s.name}`, () => {
      const seed = testSeed();
      const rng = new Rng(seed);
      const x = rng.array(s.x.reduce((a, b) => a * b));
      const w = rng.array(s.w.reduce((a, b) => a * b));
      const bias = rng.array(s.w[0]!);
      const y = conv2dForwardRef(x, s.x, w, s.w, bias, s.p);
      const yShape = [s.x[0]!, s.w[0]!, ...conv2dOutputSize(s.x[2]!, s.x[3]!, s.w[2]!, s.w[3]!, s.p)];
      const dy = rng.array(y.length);
      const fdX = numericalGradient((v) => conv2dForwardRef(v, s.x, w, s.w, bias, s.p), x, dy);
      const fdW = numericalGradient((v) => conv2dForwardRef(x, s.x, v, s.w, bias, s.p), w, dy);
      const fdB = numericalGradient((v) => conv2dForwardRef(x, s.x, w, s.w, v, s.p), bias, dy);
      // Conv is linear in each argument: central differences are exact up to float64 rounding.
      expect(relError(conv2dBackwardDataRef(dy, w, s.w, s.x, s.p), fdX), `seed ${seed}`).toBeLessThan(1e-7);
      expect(relError(conv2dBackwardWeightRef(x, s.x, dy, s.w, s.p), fdW), `seed ${seed}`).toBeLessThan(1e-7);
      expect(relError(conv2dBackwardBiasRef(dy, yShape), fdB), `seed ${seed}`).toBeLessThan(1e-7);
    });
  }
});

describe('conv2d kernels vs reference', () => {
  const gpu = useGpu({ poison: true });
  for (const variant of CONV2D_VARIANTS) {
    describe(`${variant} engine`, () => {
      for (const cs of GRID) {
        it(`grid: ${cs.name}`, async () => {
          await checkCase(gpu(), cs, { variant });
        });
      }
      // The tiled engines' 256-wide barrier loops are emulated slowly on SwiftShader: they skip the
      // three deepest shapes (K = 2304..4608), whose code path the other shapes already cover.
      for (const cs of variant !== 'registers' ? RESNET.filter((r) => r.c * r.k * r.k < 2304) : RESNET) {
        it(`ResNet18: ${cs.name}`, async () => {
          await checkCase(gpu(), cs, { variant });
        });
      }
    });
  }

  // The register variant's direct kernel runs its invocations along positions, or along output
  // channels when positions are few; each layout forced on shapes the default would give the other.
  for (const lanes of ['n', 'm'] as const) {
    it(`registers engine, invocations along ${lanes === 'n' ? 'positions' : 'output channels'}`, async () => {
      await checkCase(gpu(), c('3x3/1 C=5 9x7 batch 2', 2, 5, 9, 7, 70, 3, 1, 1), { variant: 'registers', lanes });
      await checkCase(gpu(), c('3x3/2 C=16 5x5 batch 1', 1, 16, 5, 5, 67, 3, 2, 1), { variant: 'registers', lanes });
      await checkCase(gpu(), c('1x1/2 C=20 4x4 batch 3', 3, 20, 4, 4, 9, 1, 2, 0), { variant: 'registers', lanes });
    });
  }

  // With 4-lane subgroups (SwiftShader) the register kernels share lane-uniform operands through
  // subgroupBroadcast by default; the plain loads stay in use where subgroups differ, so both run.
  for (const bcast of [false, true]) {
    it(`registers engine with subgroup broadcasts ${bcast ? 'on' : 'off'}`, async () => {
      const g = gpu();
      if (bcast && g.subgroupSize !== 4) console.warn(`adapter subgroups are not fixed at 4 lanes (${g.subgroupSize}): the broadcast request falls back to plain loads, which is what this checks here`);
      for (const lanes of ['n', 'm'] as const) {
        await checkCase(g, c('3x3/1 C=17 6x5 batch 2 (tm 16)', 2, 17, 6, 5, 37, 3, 1, 1), { variant: 'registers', lanes, bcast });
        await checkCase(g, c('3x3/2 C=24 7x7 batch 1 (tm 8)', 1, 24, 7, 7, 11, 3, 2, 1), { variant: 'registers', lanes, bcast });
      }
    });
  }

  // Few input channels with a kernel larger than 1x1 go through a column matrix by default in the
  // register variant; the direct and row kernels they would otherwise use stay correct too.
  for (const columns of [true, false]) {
    it(`registers engine, few-channel convs ${columns ? 'through the column matrix' : 'direct (columns: false)'}`, async () => {
      await checkCase(gpu(), c('7x7/2 pad 3 C=3 19x17 batch 2', 2, 3, 19, 17, 20, 7, 2, 3), { variant: 'registers', columns });
      await checkCase(gpu(), c('3x3/1 pad 1 C=5 9x9 batch 3', 3, 5, 9, 9, 6, 3, 1, 1), { variant: 'registers', columns });
    });
  }

  // 3x3 stride-1 padding-1 convs (16+ channels, 4x4+ images by default) run forward and dx by
  // Winograd F(2x2, 3x3) in the register variant: forced on for small and odd shapes (partial
  // tiles, C=3, batch 1, channel counts off the tile), off for shapes the default would give it.
  for (const winograd of [true, false]) {
    it(`registers engine, Winograd ${winograd ? 'forced on' : 'off'}`, async () => {
      const g = gpu();
      await checkCase(g, c('3x3/1 C=3 7x7 batch 3', 3, 3, 7, 7, 5, 3, 1, 1), { variant: 'registers', winograd });
      await checkCase(g, c('3x3/1 C=17 9x6 batch 2', 2, 17, 9, 6, 37, 3, 1, 1), { variant: 'registers', winograd });
      await checkCase(g, c('3x3/1 C=16 1x1 batch 1', 1, 16, 1, 1, 20, 3, 1, 1, false), { variant: 'registers', winograd });
      await checkCase(g, c('3x3/1 C=70 5x5 batch 1 (lanes along channels)', 1, 70, 5, 5, 67, 3, 1, 1), { variant: 'registers', winograd });
      for (const lanes of ['n', 'm'] as const) {
        await checkCase(g, c('3x3/1 C=24 8x8 batch 2', 2, 24, 8, 8, 64, 3, 1, 1), { variant: 'registers', winograd, lanes });
      }
    });
  }

  it('uses the adapter default engine when no variant is given', async () => {
    await checkCase(gpu(), c('default 3x3/2 odd', 3, 5, 9, 11, 6, 3, 2, 1), {});
  });

  it('folds column tiles beyond the per-dimension workgroup limit', async () => {
    // A cap of 3 workgroups per dimension forces the (x, y, z) fold on every pass.
    for (const variant of CONV2D_VARIANTS) {
      await checkCase(gpu(), c('folded 3x3 on 13x13', 3, 3, 13, 13, 5, 3, 1, 1), { variant, maxWorkgroupsPerDimension: 3 });
      // 16+ input channels: the register variant's backward-weight kernel (one tap per workgroup).
      await checkCase(gpu(), c('folded 3x3 16->5 on 7x7', 2, 16, 7, 7, 5, 3, 1, 1), { variant, maxWorkgroupsPerDimension: 3 });
    }
  });

  it('rejects mismatched shapes with the op name', () => {
    const g = gpu();
    const X = Tensor.empty(g, [1, 3, 5, 5]);
    const Wt = Tensor.empty(g, [4, 2, 3, 3]);
    expect(() => conv2dForward(g, X, Wt, null, { stride: 1, padding: 1 })).toThrow(/conv2dForward.*input channels/);
    release(X, Wt);
  });
});

describe('tiled backward-weight split-K', () => {
  const gpu = useGpu({ poison: true });
  it('chooses splits by tile count, in whole k tiles, within the binding limit', () => {
    // ResNet18 layer1 at 224 px, batch 32: 9 tiles of 64 x 64 over k = 100,352 positions.
    const l1 = tiledSplitK(64, 576, 100352, 2 ** 31);
    expect(l1.splits).toBeGreaterThanOrEqual(100);
    expect(l1.kPer % 16).toBe(0);
    expect((l1.splits - 1) * l1.kPer).toBeLessThan(100352);
    expect(l1.splits * l1.kPer).toBeGreaterThanOrEqual(100352);
    // Enough tiles already, or too short a k: one split.
    expect(tiledSplitK(512, 4608, 392, 2 ** 31)).toEqual({ splits: 1, kPer: 392 });
    expect(tiledSplitK(64, 64, 1000, 2 ** 31)).toEqual({ splits: 1, kPer: 1000 });
    // The partials (splits x M x N floats) must fit one binding: 64 x 576 x 4 bytes x 3 = 442,368.
    expect(tiledSplitK(64, 576, 100352, 442368).splits).toBe(3);
    expect(tiledSplitK(64, 576, 100352, 442367).splits).toBe(2);
    // A requested count is honoured, except that no split is left empty: k = 40 is 3 tiles of 16.
    expect(tiledSplitK(8, 8, 40, 2 ** 31, 7)).toEqual({ splits: 3, kPer: 16 });
    expect(tiledSplitK(8, 8, 40, 2 ** 31, 2)).toEqual({ splits: 2, kPer: 32 });
    expect(() => tiledSplitK(8, 8, 40, 2 ** 31, 0)).toThrow(/splitK/);
  });
  it('counts the tiles of the engine in use', () => {
    // 128 x 128 tiles are a quarter as many as 64 x 64 ones, so more splits reach the target.
    const small = tiledSplitK(256, 1152, 1 << 20, 2 ** 31, undefined, 'tiled');
    const large = tiledSplitK(256, 1152, 1 << 20, 2 ** 31, undefined, 'tiled128');
    expect(small.splits).toBe(Math.ceil(1024 / (4 * 18)));
    expect(large.splits).toBe(Math.ceil(1024 / (2 * 9)));
    expect(() => tiledSplitK(8, 8, 40, 2 ** 31, undefined, 'registers')).toThrow(/register variant/);
  });
  // Forced splits on k that no split divides evenly (k = batch x Ho x Wo), and a shape whose k
  // (2 x 24 x 24 = 1152) gets two splits by itself.
  for (const variant of ['tiled', 'tiled128'] as const) {
    for (const splitK of [2, 3, 5]) {
      it(`${variant}: ${splitK} splits`, async () => {
        await checkCase(gpu(), c('3x3/1 C=5 9x7 batch 3', 3, 5, 9, 7, 6, 3, 1, 1), { variant, splitK });
        await checkCase(gpu(), c('3x3/2 C=16 13x11 batch 2', 2, 16, 13, 11, 70, 3, 2, 1, false), { variant, splitK });
      });
    }
    it(`${variant}: splits by itself when the tiles are few and k is long`, async () => {
      expect(tiledSplitK(8, 27, 1152, gpu().limits.maxBindingBytes, undefined, variant).splits).toBe(2);
      await checkCase(gpu(), c('3x3/1 C=3 24x24 batch 2', 2, 3, 24, 24, 8, 3, 1, 1), { variant });
    });
  }
});

describe('conv2d splits work over bindings smaller than one batch', () => {
  // 8 KiB bindings hold three 3x13x13 images (2028 bytes each) but not five, so every pass runs
  // in chunks (bwd data per image: its column buffer takes 5292 bytes per image), and chunks start
  // at offsets that are not multiples of 256 bytes.
  const gpu = useGpu({ poison: true, maxBindingBytes: 8192 });
  for (const variant of CONV2D_VARIANTS) {
    it(`${variant}: all passes over a batch of 5 split per image`, async () => {
      expect(gpu().limits.maxBindingBytes).toBe(8192);
      await checkCase(gpu(), c('split 3x3/2 3->4 13x13', 5, 3, 13, 13, 4, 3, 2, 1), { variant });
      await checkCase(gpu(), c('split 1x1 3->5 13x13', 5, 3, 13, 13, 5, 1, 1, 0), { variant });
      // 16+ input channels (the register variant's own backward-weight kernel accumulates over
      // chunks; stride 1 takes the transposed-conv dx, stride 2 the column buffer), partial tiles.
      await checkCase(gpu(), c('split 3x3 16->10 3x3', 5, 16, 3, 3, 10, 3, 1, 1), { variant });
      await checkCase(gpu(), c('split 3x3/2 16->6 5x5', 5, 16, 5, 5, 6, 3, 2, 1), { variant });
      // The transposed-conv dx needs no column buffer, so only the register variant splits this
      // shape by its images (4536 bytes each) rather than by a column buffer that would not fit.
      if (variant === 'registers') await checkCase(gpu(), c('split 3x3 18->10 7x9', 5, 18, 7, 9, 10, 3, 1, 1), { variant });
      // Taps that only ever see padding (the register variant dispatches none and zeroes them):
      // 3x3 pad 1 on 1x1 images (only the centre tap is live), 3x3/2 pad 1 from 2x2 to 1x1 (4 of
      // 9 live, in two runs), and 5x5 pad 2 on 2x3 (rows and columns partly dead), over chunks.
      await checkCase(gpu(), c('dead taps 3x3 on 1x1 20->8', 5, 20, 1, 1, 8, 3, 1, 1), { variant });
      await checkCase(gpu(), c('dead taps 3x3/2 2x2->1x1 20->8', 5, 20, 2, 2, 8, 3, 2, 1), { variant });
      // (The tiled variant's column buffer for this one would not fit 8 KiB per image.)
      if (variant === 'registers') await checkCase(gpu(), c('dead taps 5x5 on 2x3 16->4', 5, 16, 2, 3, 4, 5, 1, 2), { variant });
      // Winograd (forced: 8 channels) keeps its transforms of 3 images per chunk (2 KiB each).
      if (variant === 'registers') await checkCase(gpu(), c('split Winograd 3x3 8->8 4x4', 5, 8, 4, 4, 8, 3, 1, 1), { variant, winograd: true });
      // Split-K partials summed into the weight gradient of every chunk after the first.
      if (variant !== 'registers') await checkCase(gpu(), c('split-K 3x3/2 3->4 13x13', 5, 3, 13, 13, 4, 3, 2, 1), { variant, splitK: 3 });
    });
  }
});
