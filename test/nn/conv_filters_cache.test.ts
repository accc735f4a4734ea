// The conv2d op keeps a Winograd conv's filter transforms from forward for dx
// (conv2dForward's keep, conv2dBackwardData's filters): dx is the same floats as with transforms
// made anew, with the transform's dispatch saved; the op's backward then costs exactly the
// cached dx more when x needs a gradient. Winograd forced on this device (GpuOptions.winograd,
// SwiftShader's register engine); x (2, 16, 8, 8), w (24, 16, 3, 3), stride 1, padding 1.
// Network-level correctness with the cache in use: resnet_parity.test.ts ("Winograd forced").
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import { conv2dBackwardData, conv2dForward } from '../../src/kernels/conv2d.js';
import { ParamArena } from '../../src/nn/arena.js';
import * as ops from '../../src/nn/ops.js';
import { Tape, Var } from '../../src/nn/tape.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true, winograd: true });
const seed = testSeed();
const N = 2;
const C = 16;
const Co = 24;
const SHAPE = [N, C, 8, 8];
const P = { stride: 1, padding: 1 };

function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length !== y.length ? 0 : x.findIndex((v, i) => v !== y[i]);
}

/** Dispatches of conv2dBackwardData with kept transforms, and the two dx results. */
async function kernelLevel(rng: Rng, xT: Tensor, w: Tensor): Promise<{ cached: number; fresh: number; same: number }> {
  const g = gpu();
  const dy = Tensor.fromArray(g, rng.array(N * Co * 64, -1, 1), [N, Co, 8, 8]);
  const keep = { filters: null as Tensor | null };
  conv2dForward(g, xT, w, null, P, undefined, keep).release();
  expect(keep.filters?.shape).toEqual([16, Co, C]);
  const c0 = g.counters.dispatches;
  const a = conv2dBackwardData(g, dy, w, SHAPE, P, undefined, keep.filters);
  const c1 = g.counters.dispatches;
  const b = conv2dBackwardData(g, dy, w, SHAPE, P);
  const c2 = g.counters.dispatches;
  const same = firstDifference(await a.toFloat32(), await b.toFloat32());
  for (const t of [dy, keep.filters!, a, b]) t.release();
  return { cached: c1 - c0, fresh: c2 - c1, same };
}

describe('conv2d op: Winograd filter transforms kept from forward for dx', () => {
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
});
