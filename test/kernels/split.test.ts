// Work larger than one storage binding: a device capped at 4 KiB per binding forces every
// wrapper to split (batch chunks or row chunks, bindings at 256-byte boundaries with the
// element remainder as a uniform). Results must equal the float64 references.
import { describe, expect, it } from 'vitest';
import { batchnormBackward, batchnormEvalForward, batchnormTrainForward } from '../../src/kernels/batchnorm.js';
import { add, addInto, relu, reluBackward, scale } from '../../src/kernels/elementwise.js';
import { gemm } from '../../src/kernels/matmul.js';
import { maxpool2dBackward, maxpool2dForward } from '../../src/kernels/maxpool2d.js';
import { globalAvgPoolBackward, globalAvgPoolForward } from '../../src/kernels/avgpool.js';
import { channelSum, sumAll, argmaxRows } from '../../src/kernels/reduce.js';
import * as bnRef from '../../src/reference/batchnorm.js';
import * as ewRef from '../../src/reference/elementwise.js';
import * as mmRef from '../../src/reference/matmul.js';
import * as mpRef from '../../src/reference/maxpool2d.js';
import * as apRef from '../../src/reference/avgpool.js';
import * as rdRef from '../../src/reference/reduce.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const LIMIT = 4096;
const gpu = useGpu({ poison: true, maxBindingBytes: LIMIT });
const seed = testSeed();
const rng = new Rng(seed);
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// Tolerances as in each op's own test file: forward 1e-4, gradients 1e-3 (f32 rounding only).
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

describe(`kernels split work over ${LIMIT}-byte bindings`, () => {
  it('the device really has the small limit', () => {
    expect(gpu().limits.maxBindingBytes).toBe(LIMIT);
  });

  it('elementwise ops over 5001 elements (6 chunks)', async () => {
    const g = gpu();
    const n = 5001;
    const x = f32(rng.array(n, -2, 2));
    const b = f32(rng.array(n, -2, 2));
    const tx = Tensor.fromArray(g, x, [n]);
    const tb = Tensor.fromArray(g, b, [n]);
    const y = relu(g, tx);
    // 960 elements per binding at most: relu must split into 6 dispatches (counted with
    // poisoning off, whose fills are dispatches too).
    g.poisonOnAcquire = false;
    const before = g.counters.dispatches;
    relu(g, tx).release();
    expect(g.counters.dispatches - before).toBe(6);
    g.poisonOnAcquire = true;
    const dx = reluBackward(g, tb, y);
    const s = add(g, tx, tb);
    const sc = scale(g, tx, 3);
    const acc = Tensor.fromArray(g, x, [n]);
    addInto(g, acc, tb);
    const ry = ewRef.relu(x);
    expect(relError(await y.toArray(), ry), why('relu')).toBeLessThan(FWD_TOL);
    expect(relError(await dx.toArray(), ewRef.reluBackward(b, ry)), why('reluBackward')).toBeLessThan(FWD_TOL);
    expect(relError(await s.toArray(), ewRef.add(x, b)), why('add')).toBeLessThan(FWD_TOL);
    expect(relError(await sc.toArray(), ewRef.scale(x, 3)), why('scale')).toBeLessThan(FWD_TOL);
    expect(relError(await acc.toArray(), ewRef.add(x, b)), why('addInto')).toBeLessThan(FWD_TOL);
    for (const t of [tx, tb, y, dx, s, sc, acc]) t.release();
  });

  for (const relu of [false, true]) {
    it(`batchnorm train/eval/backward, one sample per chunk (relu ${relu})`, async () => {
      const g = gpu();
      // 845 floats (3380 bytes) per sample: each chunk is one sample, at unaligned offsets.
      const shape = [3, 5, 13, 13];
      const [, C] = shape as [number, number];
      const n = 3 * 5 * 169;
      const x = f32(rng.array(n, -1, 1));
      const w = f32(rng.array(C, 0.5, 1.5));
      const b = f32(rng.array(C, -0.5, 0.5));
      const rm = f32(rng.array(C, -0.2, 0.2));
      const rv = f32(rng.array(C, 0.5, 1.5));
      const dy = f32(rng.array(n));
      const p = { eps: 1e-5, momentum: 0.1, relu };
      const r = bnRef.batchnormTrainForward(x, shape, w, b, rm, rv, p);
      const rb = bnRef.batchnormBackward(dy, x, shape, w, r.saveMean, r.saveInvstd, relu ? r.y : null);
      const tx = Tensor.fromArray(g, x, shape);
      const [tw, tb, trm, trv] = [w, b, rm, rv].map((v) => Tensor.fromArray(g, v, [C])) as [Tensor, Tensor, Tensor, Tensor];
      const ye = batchnormEvalForward(g, tx, tw, tb, trm, trv, p);
      const f = batchnormTrainForward(g, tx, tw, tb, trm, trv, p);
      const tdy = Tensor.fromArray(g, dy, shape);
      const bw = batchnormBackward(g, tdy, tx, tw, f.saveMean, f.saveInvstd, relu ? f.y : null);
      expect(relError(await ye.toArray(), bnRef.batchnormEvalForward(x, shape, w, b, rm, rv, p)), why('eval y')).toBeLessThan(FWD_TOL);
      expect(relError(await f.y.toArray(), r.y), why('y')).toBeLessThan(FWD_TOL);
      expect(relError(await trv.toArray(), r.runningVar), why('running var')).toBeLessThan(FWD_TOL);
      expect(relError(await bw.dx.toArray(), rb.dx), why('dx')).toBeLessThan(GRAD_TOL);
      expect(relError(await bw.dweight.toArray(), rb.dweight), why('dweight')).toBeLessThan(GRAD_TOL);
      expect(relError(await bw.dbias.toArray(), rb.dbias), why('dbias')).toBeLessThan(GRAD_TOL);
      for (const t of [tx, tw, tb, trm, trv, ye, f.y, f.saveMean, f.saveInvstd, tdy, bw.dx, bw.dweight, bw.dbias]) t.release();
    });
  }

  it('batchnorm names the problem when one sample exceeds a binding', () => {
    const g = gpu();
    const x = Tensor.empty(g, [2, 3, 20, 20]);
    const c = Tensor.empty(g, [3]);
    expect(() => batchnormTrainForward(g, x, c, c, c, c, { eps: 1e-5, momentum: 0.1 })).toThrow(/binding limit/);
    x.release();
    c.release();
  });

  for (const variant of ['regs', 'tiled'] as const) {
    it(`matmul ${variant} 300x9x20 in row chunks (A and C exceed a binding)`, async () => {
      const g = gpu();
      const [M, N, K] = [300, 9, 20];
      for (const transB of [false, true]) {
        const a = f32(rng.array(M * K));
        const b = f32(rng.array(K * N));
        const bias = f32(rng.array(N));
        const ta = Tensor.fromArray(g, a, [M, K]);
        const tb = Tensor.fromArray(g, b, transB ? [N, K] : [K, N]);
        const tbias = Tensor.fromArray(g, bias, [N]);
        const c = gemm(g, ta, tb, { transB, variant, bias: tbias });
        const r = mmRef.matmul(a, b, M, N, K, { transB });
        for (let i = 0; i < r.length; i++) r[i]! += bias[i % N]!;
        expect(relError(await c.toArray(), r), why(`matmul tB=${transB}`)).toBeLessThan(FWD_TOL);
        for (const t of [ta, tb, tbias, c]) t.release();
      }
    });
  }

  it('maxpool2d, avgpool and reductions in batch chunks', async () => {
    const g = gpu();
    const shape = [3, 5, 13, 13];
    const n = 3 * 5 * 169;
    const p = { kernel: 3, stride: 2, padding: 1 };
    const x = f32(rng.array(n, 0.5, 1.5));
    const tx = Tensor.fromArray(g, x, shape);
    const mp = maxpool2dForward(g, tx, p);
    const rmp = mpRef.maxpool2dForward(x, shape, p);
    const dy = f32(rng.array(rmp.y.length));
    const tdy = Tensor.fromArray(g, dy, mp.y.shape);
    const mdx = maxpool2dBackward(g, tdy, mp.argmax, shape, p);
    expect(relError(await mp.y.toArray(), rmp.y), why('maxpool y')).toBe(0);
    expect(relError(await mdx.toArray(), mpRef.maxpool2dBackward(dy, rmp.argmax, shape, p)), why('maxpool dx')).toBeLessThan(GRAD_TOL);
    const ap = globalAvgPoolForward(g, tx);
    const gdy = f32(rng.array(15));
    const tgdy = Tensor.fromArray(g, gdy, [3, 5]);
    const adx = globalAvgPoolBackward(g, tgdy, shape);
    expect(relError(await ap.toArray(), apRef.globalAvgPoolForward(x, shape)), why('avgpool y')).toBeLessThan(FWD_TOL);
    expect(relError(await adx.toArray(), apRef.globalAvgPoolBackward(gdy, shape)), why('avgpool dx')).toBeLessThan(GRAD_TOL);
    const cs = channelSum(g, tx);
    const s = sumAll(g, tx);
    expect(relError(await cs.toArray(), rdRef.channelSum(x, shape)), why('channelSum')).toBeLessThan(FWD_TOL);
    expect(relError(await s.toArray(), [rdRef.sumAll(x)]), why('sumAll')).toBeLessThan(FWD_TOL);
    // (N, C) rows larger than a binding: column sums per chunk, then over the chunks.
    const wide = Tensor.fromArray(g, x, [n / 13, 13]);
    const ws = channelSum(g, wide);
    expect(relError(await ws.toArray(), rdRef.channelSum(x, [n / 13, 13])), why('channelSum (N, C)')).toBeLessThan(FWD_TOL);
    wide.release();
    ws.release();
    const rows = Tensor.fromArray(g, x, [n / 13, 13]);
    const am = argmaxRows(g, rows);
    expect([...(await am.toArray())], why('argmaxRows')).toEqual([...rdRef.argmaxRows(x, n / 13, 13)]);
    for (const t of [tx, mp.y, mp.argmax, tdy, mdx, ap, tgdy, adx, cs, s, rows, am]) t.release();
  });
});
