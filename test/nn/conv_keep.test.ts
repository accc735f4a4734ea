// The conv2d op keeps what its forward made for the backward passes (Conv2dKeep): a Winograd
// conv's filter transforms for dx, and a column-matrix conv's matrix for dweight. Each pass gives
// the same floats as with them made anew, with their dispatches saved, and the op's backward
// costs exactly the cached pass. Winograd forced on this device (GpuOptions.winograd,
// SwiftShader's register engine); x (2, 16, 8, 8), w (24, 16, 3, 3), stride 1, padding 1; the
// column case is conv1's shape at 16 px: x (2, 3, 16, 16), w (8, 3, 7, 7), stride 2, padding 3.
// Network-level correctness with the cache in use: resnet_parity.test.ts ("Winograd forced").
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward } from '../../src/kernels/conv2d.js';
import { ParamArena } from '../../src/nn/arena.js';
import * as ops from '../../src/nn/ops.js';
import { Tape, Var } from '../../src/nn/tape.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { firstBitDifference } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true, winograd: true });
const seed = testSeed();
const N = 2;
const C = 16;
const Co = 24;
const SHAPE = [N, C, 8, 8];
const P = { stride: 1, padding: 1 };

/** Dispatches of conv2dBackwardData with kept transforms, and the two dx results. */
async function kernelLevel(rng: Rng, xT: Tensor, w: Tensor): Promise<{ cached: number; fresh: number; same: number }> {
  const g = gpu();
  const dy = Tensor.fromArray(g, rng.array(N * Co * 64, -1, 1), [N, Co, 8, 8]);
  const keep = { filters: null as Tensor | null, columns: null as Tensor | null };
  conv2dForward(g, xT, w, null, P, undefined, keep).release();
  expect(keep.filters?.shape).toEqual([16, Co, C]);
  const c0 = g.counters.dispatches;
  const a = conv2dBackwardData(g, dy, w, SHAPE, P, undefined, keep.filters);
  const c1 = g.counters.dispatches;
  const b = conv2dBackwardData(g, dy, w, SHAPE, P);
  const c2 = g.counters.dispatches;
  const same = firstBitDifference(await a.toFloat32(), await b.toFloat32());
  for (const t of [dy, keep.filters!, a, b]) t.release();
  return { cached: c1 - c0, fresh: c2 - c1, same };
}

describe('conv2d op: what the forward made, kept for the backward passes', () => {
  it('dx from kept transforms: the same floats, fewer dispatches; the op uses them', async () => {
    const g = gpu();
    const rng = new Rng(seed);
    const xT = Tensor.fromArray(g, rng.array(N * C * 64, -1, 1), SHAPE);
    const arena = new ParamArena(g, [{ name: 'w', shape: [Co, C, 3, 3], init: new Float32Array(rng.array(Co * C * 9, -1, 1)) }]);
    const w = arena.get('w').param;
    const k = await kernelLevel(rng, xT, w.data);
    expect(k.same, `seed ${seed}: dx with kept transforms differs first at ${k.same}`).toBe(-1);
    expect(k.fresh).toBeGreaterThan(k.cached);
    // The op's backward with and without a gradient to x: the difference is the cached dx.
    const labels = Tensor.fromArray(g, [1, 5], [N], 'i32');
    const backwardDispatches = (xNeedsGrad: boolean): number => {
      const x = Var.leaf(xT, xNeedsGrad, 'x');
      const dx = Tensor.empty(g, SHAPE);
      if (xNeedsGrad) x.gradTarget = dx;
      const tape = new Tape(g, true);
      const y = ops.conv2d(tape, x, w, null, P);
      const logits = ops.globalAvgPool(tape, y);
      y.free();
      const loss = ops.crossEntropy(tape, logits, labels);
      logits.free();
      const d0 = g.counters.dispatches;
      tape.backward(loss, xNeedsGrad ? [x, w] : [w]);
      const d = g.counters.dispatches - d0;
      loss.free();
      dx.release();
      return d;
    };
    expect(backwardDispatches(true) - backwardDispatches(false)).toBe(k.cached);
    for (const t of [xT, labels]) t.release();
    arena.destroy();
  });

  it('conv1 (column matrix): dweight from the kept matrix, the same floats, one im2col fewer; the op uses it', async () => {
    const g = gpu();
    const rng = new Rng(seed + 1);
    const xShape = [2, 3, 16, 16];
    const p = { stride: 2, padding: 3 };
    const xT = Tensor.fromArray(g, rng.array(2 * 3 * 256, -1, 1), xShape);
    const arena = new ParamArena(g, [{ name: 'w', shape: [8, 3, 7, 7], init: new Float32Array(rng.array(8 * 3 * 49, -1, 1)) }]);
    const w = arena.get('w').param;
    const dy = Tensor.fromArray(g, rng.array(2 * 8 * 64, -1, 1), [2, 8, 8, 8]);
    const keep = { filters: null as Tensor | null, columns: null as Tensor | null };
    conv2dForward(g, xT, w.data, null, p, undefined, keep).release();
    expect(keep.columns?.shape).toEqual([2, 147, 8, 8]);
    // Into a tensor made beforehand (as the op writes into the arena), so that c1 - c0 counts
    // no poison fill.
    const a = Tensor.empty(g, [8, 3, 7, 7]);
    const c0 = g.counters.dispatches;
    conv2dBackwardWeight(g, xT, dy, [8, 3, 7, 7], p, undefined, a, keep.columns);
    const c1 = g.counters.dispatches;
    const b = conv2dBackwardWeight(g, xT, dy, [8, 3, 7, 7], p);
    const c2 = g.counters.dispatches;
    expect(firstBitDifference(await a.toFloat32(), await b.toFloat32()), `seed ${seed}: dweight from the kept matrix differs`).toBe(-1);
    // Made anew: the poison fills of b and of the matrix, and the im2col itself.
    expect(c2 - c1 - (c1 - c0)).toBe(3);
    // The op (x needs no gradient, as for the images): its backward costs the cached dweight.
    const labels = Tensor.fromArray(g, [1, 5], [2], 'i32');
    const tape = new Tape(g, true);
    const y = ops.conv2d(tape, Var.leaf(xT, false, 'x'), w, null, p);
    const logits = ops.globalAvgPool(tape, y);
    y.free();
    const loss = ops.crossEntropy(tape, logits, labels);
    logits.free();
    const d0 = g.counters.dispatches;
    tape.backward(loss, [w]);
    const opBackward = g.counters.dispatches - d0;
    // Its other passes: the loss and the average pool's backward.
    const tape2 = new Tape(g, true);
    const y2 = ops.conv2d(tape2, Var.leaf(xT, false, 'x'), Var.leaf(w.data, false, 'w'), null, p);
    const lg = Var.leaf(y2.data, true, 'y');
    const l2 = ops.globalAvgPool(tape2, lg);
    const loss2 = ops.crossEntropy(tape2, l2, labels);
    l2.free();
    const dyOnly = Tensor.empty(g, y2.shape);
    lg.gradTarget = dyOnly;
    const e0 = g.counters.dispatches;
    tape2.backward(loss2, [lg]);
    const rest = g.counters.dispatches - e0;
    expect(opBackward - rest).toBe(c1 - c0);
    loss.free();
    loss2.free();
    y2.free();
    for (const t of [xT, dy, keep.columns!, a, b, labels, dyOnly]) t.release();
    arena.destroy();
  });
});
