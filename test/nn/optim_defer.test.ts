// Adadelta's deferred decays of known-zero gradients (src/nn/optim.ts, Var.gradZeros): the same
// floats as the eager update (deferZeros false), bit for bit, through the cases that must settle
// what is owed: the pattern changing, rho changing, a parameter frozen, exportState, importState,
// and DEFER_MAX. Then the whole chain: conv2dBackwardWeight marks the taps that see only padding,
// the tape hands the mark to the parameter, and a ResNet18 trained at 32 px (layer4 at 1x1)
// ends where the eager optimiser does.
// Arena: a "weight" (6, 5, 3, 3) = 270 floats, a dense (40) and a second weight (4, 2, 3, 3) =
// 72, each padded to 64-float blocks.
import { describe, expect, it } from 'vitest';
import { Tensor, type ZeroPattern } from '../../src/gpu/tensor.js';
import { conv2dBackwardWeight, CONV2D_VARIANTS } from '../../src/kernels/conv2d.js';
import { ParamArena } from '../../src/nn/arena.js';
import { Adadelta } from '../../src/nn/optim.js';
import * as ops from '../../src/nn/ops.js';
import { ResNet18 } from '../../src/nn/resnet.js';
import { Tape, Var } from '../../src/nn/tape.js';
import { trainStep } from '../../src/nn/train.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { expectSameBits as expectBits } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();

const SPECS = [
  { name: 'w', shape: [6, 5, 3, 3] },
  { name: 'd', shape: [40] },
  { name: 'k', shape: [4, 2, 3, 3] },
];

function makeArena(rng: Rng): ParamArena {
  return new ParamArena(
    gpu(),
    SPECS.map((s) => ({ ...s, init: new Float32Array(rng.array(s.shape.reduce((a, b) => a * b, 1), -1, 1)) })),
  );
}

function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expectBits(actual, expected, `seed ${seed}: ${what}`);
}

/** Host gradients for the arena: random, and exactly 0 outside each patterned parameter's live runs. */
function gradients(rng: Rng, arena: ParamArena, patterns: Record<string, ZeroPattern | null>): Float32Array {
  const g = new Float32Array(arena.total);
  for (const e of arena.entryList) {
    const values = rng.array(e.size, -1, 1);
    const p = patterns[e.name] ?? null;
    if (p) {
      for (let i = 0; i < e.size; i++) {
        const t = i % p.period;
        if (!p.live.some(([f, c]) => t >= f && t < f + c)) values[i] = 0;
      }
    }
    g.set(values, e.offset);
  }
  return g;
}

async function snapshot(opt: Adadelta, arena: ParamArena): Promise<Float32Array[]> {
  const s = opt.exportState();
  const out = [await arena.params.toFloat32(), await s.tensors.squareAvg!.toFloat32(), await s.tensors.accDelta!.toFloat32()];
  for (const t of Object.values(s.tensors)) t.release();
  return out;
}

const CENTRE: ZeroPattern = { period: 9, live: [[4, 1]] };
const CORNER: ZeroPattern = { period: 9, live: [[4, 2], [7, 2]] };
const NONE: ZeroPattern = { period: 1, live: [] };

interface Plan {
  /** Pattern per parameter at this step (absent: dense). */
  patterns: Record<string, ZeroPattern | null>;
  rho?: number;
  frozen?: string[];
  exportAfter?: boolean;
}

// 80 steps: two DEFER_MAX settles on an unchanging pattern, then changes of every kind.
function plan(step: number): Plan {
  if (step < 70) return { patterns: { w: CENTRE, k: CORNER }, exportAfter: step === 40 };
  if (step === 70) return { patterns: { w: CORNER, k: CORNER } }; // w's pattern changes
  if (step === 71) return { patterns: { w: CORNER, k: null } }; // k dense for a step
  if (step === 72) return { patterns: { w: CORNER, k: CENTRE }, rho: 0.8 }; // rho changes
  if (step === 73) return { patterns: { w: CORNER, k: CENTRE }, frozen: ['k'], rho: 0.8 };
  if (step <= 75) return { patterns: { w: NONE, k: CENTRE }, rho: 0.8 }; // w's gradient all zero
  // rho changes under unchanged patterns, with state in the owed elements (w's taps 4, 5, 7, 8).
  return { patterns: { w: NONE, k: CENTRE, d: null }, rho: 0.95, exportAfter: step === 78 };
}

describe('Adadelta: deferred zero-gradient decays', () => {
  it('80 steps with pattern, rho, freeze and export changes: parameters and state bit-identical to the eager update', async () => {
    expect(Adadelta.DEFER_MAX).toBeLessThan(40);
    const rng = new Rng(seed);
    const arenaA = makeArena(new Rng(seed + 1));
    const arenaB = makeArena(new Rng(seed + 1));
    const lazy = new Adadelta(arenaA, { lr: 0.9 });
    const eager = new Adadelta(arenaB, { lr: 0.9, deferZeros: false });
    const dispatches: number[] = [];
    for (let step = 0; step < 80; step++) {
      const pl = plan(step);
      const g = gradients(rng, arenaA, pl.patterns);
      for (const [arena, opt] of [[arenaA, lazy], [arenaB, eager]] as const) {
        const before = gpu().counters.dispatches;
        arena.setRequiresGrad((n) => (pl.frozen ?? []).includes(n), false);
        arena.setRequiresGrad((n) => !(pl.frozen ?? []).includes(n), true);
        arena.grads.write(g);
        for (const e of arena.entryList) e.param.gradZeros = pl.patterns[e.name] ?? null;
        opt.rho = pl.rho ?? 0.9;
        opt.step();
        if (opt === lazy) dispatches.push(gpu().counters.dispatches - before);
        gpu().submit();
      }
      if (pl.exportAfter) {
        const [a, b] = [await snapshot(lazy, arenaA), await snapshot(eager, arenaB)];
        ['parameters', 'squareAvg', 'accDelta'].forEach((what, i) => expectSameBits(a[i]!, b[i]!, `${what} after step ${step}`));
      }
    }
    const [a, b] = [await snapshot(lazy, arenaA), await snapshot(eager, arenaB)];
    ['parameters', 'squareAvg', 'accDelta'].forEach((what, i) => expectSameBits(a[i]!, b[i]!, `${what} at the end`));
    // Steps 0-31 defer; step 32 owes DEFER_MAX and settles first: 2 decay runs for w (taps 0-3,
    // 5-8), 2 for k (0-3, 6); every step: 1 + 2 live runs and 1 dense range.
    expect(dispatches.slice(1, 32).every((n) => n === 4), `dispatches per step ${dispatches.slice(0, 34).join(' ')}`).toBe(true);
    expect(dispatches[32]).toBe(8);
    // Tap 4 of w's first row: live until step 73, then 6 zero-gradient steps; a nonzero state
    // the deferred decays had to scale (a zero one would match whatever they did).
    const w = arenaA.get('w');
    expect(a[1]![w.offset + 4]).toBeGreaterThan(0);
    expect(a[2]![w.offset + 4]).toBeGreaterThan(0);
    // The optimiser consumed the marks.
    expect(arenaA.entryList.every((e) => e.param.gradZeros === null)).toBe(true);
    for (const o of [lazy, eager]) o.destroy();
    for (const ar of [arenaA, arenaB]) ar.destroy();
  });

  it('importState drops what was owed to the replaced state', async () => {
    const rng = new Rng(seed + 7);
    const arenaA = makeArena(new Rng(seed + 2));
    const arenaB = makeArena(new Rng(seed + 2));
    const lazy = new Adadelta(arenaA);
    const eager = new Adadelta(arenaB, { deferZeros: false });
    // A state to import: 0.25 and 0.5 in every parameter's elements, zero in the padding after
    // each (as every exported state has it: the arena keeps padding at zero).
    const fresh = { steps: 0, tensors: { squareAvg: new Float32Array(arenaA.total), accDelta: new Float32Array(arenaA.total) } };
    for (const e of arenaA.entryList) {
      fresh.tensors.squareAvg.fill(0.25, e.offset, e.offset + e.size);
      fresh.tensors.accDelta.fill(0.5, e.offset, e.offset + e.size);
    }
    for (let step = 0; step < 6; step++) {
      const g = gradients(rng, arenaA, { w: CENTRE });
      if (step === 3) {
        lazy.importState(fresh);
        eager.importState(fresh);
      }
      for (const [arena, opt] of [[arenaA, lazy], [arenaB, eager]] as const) {
        arena.grads.write(g);
        arena.get('w').param.gradZeros = CENTRE;
        opt.step();
        gpu().submit();
      }
    }
    const [a, b] = [await snapshot(lazy, arenaA), await snapshot(eager, arenaB)];
    ['parameters', 'squareAvg', 'accDelta'].forEach((what, i) => expectSameBits(a[i]!, b[i]!, what));
    for (const o of [lazy, eager]) o.destroy();
    for (const ar of [arenaA, arenaB]) ar.destroy();
  });

  it('with weight decay nothing is deferred (a zero gradient still moves the parameter)', async () => {
    const rng = new Rng(seed + 9);
    const arenaA = makeArena(new Rng(seed + 3));
    const arenaB = makeArena(new Rng(seed + 3));
    const lazy = new Adadelta(arenaA, { weightDecay: 0.1 });
    const eager = new Adadelta(arenaB, { weightDecay: 0.1, deferZeros: false });
    const p0 = await arenaA.params.toFloat32();
    for (let step = 0; step < 3; step++) {
      const g = gradients(rng, arenaA, { w: CENTRE });
      for (const [arena, opt] of [[arenaA, lazy], [arenaB, eager]] as const) {
        arena.grads.write(g);
        arena.get('w').param.gradZeros = CENTRE;
        opt.step();
        gpu().submit();
      }
    }
    const pA = await arenaA.params.toFloat32();
    expectSameBits(pA, await arenaB.params.toFloat32(), 'parameters');
    const w = arenaA.get('w');
    expect(pA[w.offset], 'tap 0, zero gradient, weight decay: the parameter must move').not.toBe(p0[w.offset]);
    for (const o of [lazy, eager]) o.destroy();
    for (const ar of [arenaA, arenaB]) ar.destroy();
  });
});

describe('known zeros from the conv weight gradient to the optimiser', () => {
  // x (2, 3, 1, 1) with a 3x3 padding-1 kernel: only the centre tap sees the input. Stride 2 from
  // 2x2: the taps (1..2, 1..2) do. 3x3 input: all taps live, no mark.
  const cases = [
    { x: [2, 3, 1, 1], stride: 1, live: [[4, 1]] },
    { x: [1, 4, 2, 2], stride: 2, live: [[4, 2], [7, 2]] },
    { x: [1, 3, 3, 3], stride: 1, live: null },
  ] as const;
  for (const variant of CONV2D_VARIANTS) {
    for (const c of cases) {
      it(`${variant}: x ${c.x.join('x')} stride ${c.stride}: marked ${JSON.stringify(c.live)}, and those taps are exactly zero`, async () => {
        const g = gpu();
        const rng = new Rng(seed + c.x[1]);
        const [N, C, H, W] = c.x;
        const Co = 5;
        const Ho = Math.floor((H + 2 - 3) / c.stride) + 1;
        const Wo = Math.floor((W + 2 - 3) / c.stride) + 1;
        const x = Tensor.fromArray(g, rng.array(N * C * H * W, -1, 1), [N, C, H, W]);
        const dy = Tensor.fromArray(g, rng.array(N * Co * Ho * Wo, -1, 1), [N, Co, Ho, Wo]);
        const dw: Tensor = conv2dBackwardWeight(g, x, dy, [Co, C, 3, 3], { stride: c.stride, padding: 1 }, { variant });
        expect(dw.knownZeros).toEqual(c.live ? { period: 9, live: c.live } : null);
        const host = await dw.toFloat32();
        const live = (t: number) => !c.live || c.live.some(([f, n]) => t >= f && t < f + n);
        for (let i = 0; i < host.length; i++) {
          if (live(i % 9)) continue;
          if (host[i] !== 0) throw new Error(`${variant}: dweight[${i}] (tap ${i % 9}) is ${host[i]}, marked zero`);
        }
        expect(host.some((v) => v !== 0)).toBe(true);
        for (const t of [x, dy, dw]) t.release();
      });
    }
  }
});

describe('the tape hands the marks on', () => {
  // Logits = avgpool(conv(x1, w) [+ conv(x2, w)]) over 1x1 inputs, padding 1: each use marks the
  // centre tap; a sum of two uses is added in place and carries no mark; a parameter the loss
  // does not reach gets a zero gradient, all of it marked. With one use the conv writes the
  // gradient straight into the arena (Var.gradOut), so nothing is copied.
  for (const uses of [1, 2]) {
    it(`weight used ${uses}x: gradZeros ${uses === 1 ? 'centre tap' : 'null'}; the unused parameter all zero`, async () => {
      const g = gpu();
      const rng = new Rng(seed + uses);
      const N = 2;
      const C = 3;
      const K = 4;
      const xs = [0, 1].map(() => Var.leaf(Tensor.fromArray(g, rng.array(N * C, -1, 1), [N, C, 1, 1])));
      const arena = new ParamArena(g, [
        { name: 'w', shape: [K, C, 3, 3], init: new Float32Array(rng.array(K * C * 9, -1, 1)) },
        { name: 'unused', shape: [5], init: new Float32Array(5).fill(1) },
      ]);
      const w = arena.get('w').param;
      const unused = arena.get('unused').param;
      const labels = Tensor.fromArray(g, [1, 3], [N], 'i32');
      const tape = new Tape(g, true);
      let y = ops.conv2d(tape, xs[0]!, w, null, { stride: 1, padding: 1 });
      if (uses === 2) {
        const y2 = ops.conv2d(tape, xs[1]!, w, null, { stride: 1, padding: 1 });
        const sum = ops.add(tape, y, y2);
        y.free();
        y2.free();
        y = sum;
      }
      const logits = ops.globalAvgPool(tape, y);
      y.free();
      const loss = ops.crossEntropy(tape, logits, labels);
      logits.free();
      const copiesBefore = g.counters.copies;
      tape.backward(loss, arena.vars);
      // One use: the conv wrote the gradient into the arena itself; two: the sum was copied there.
      expect(g.counters.copies - copiesBefore).toBe(uses === 1 ? 0 : 1);
      expect(w.gradOut).toBeNull();
      expect(w.gradZeros).toEqual(uses === 1 ? { period: 9, live: [[4, 1]] } : null);
      expect(unused.gradZeros).toEqual({ period: 1, live: [] });
      // The marks are true of what the arena holds.
      const grad = await arena.get('w').grad.toFloat32();
      for (let i = 0; i < grad.length; i++) if (i % 9 !== 4) expect(grad[i]).toBe(0);
      expect(grad.some((v) => v !== 0)).toBe(true);
      expect([...(await arena.get('unused').grad.toFloat32())]).toEqual([0, 0, 0, 0, 0]);
      loss.free();
      for (const x of xs) x.data.release();
      labels.release();
      arena.destroy();
    });
  }
});

describe('ResNet18 at 32 px (layer4 at 1x1): deferred and eager training agree', () => {
  it('width 4, batch 2, 4 steps: the layer4 weights are marked, parameters and state bit-identical', async () => {
    const g = gpu();
    const rng = new Rng(seed + 11);
    const images = Tensor.fromArray(g, rng.array(2 * 3 * 32 * 32, -2, 2), [2, 3, 32, 32]);
    const labels = Tensor.fromArray(g, [3, 11], [2], 'i32');
    const models = [0, 1].map(() => new ResNet18(g, { numClasses: 15, width: 4, seed: 5 }));
    const opts = [new Adadelta(models[0]!.arena), new Adadelta(models[1]!.arena, { deferZeros: false })];
    const marks: Record<string, ZeroPattern | null> = {};
    for (let step = 0; step < 4; step++) {
      models.forEach((m, i) => {
        m.train();
        if (i === 0 && step === 0) {
          // Look at the marks between backward and the optimiser's step.
          const orig = opts[0]!.step.bind(opts[0]);
          opts[0]!.step = () => {
            for (const e of m.arena.entryList) marks[e.name] = e.param.gradZeros;
            orig();
          };
        }
        trainStep(m, opts[i]!, images, labels).release();
        g.submit();
      });
    }
    expect(marks['layer4.1.conv2.weight']).toEqual({ period: 9, live: [[4, 1]] });
    expect(marks['layer4.0.conv1.weight']).toEqual({ period: 9, live: [[4, 2], [7, 2]] });
    expect(marks['layer3.1.conv2.weight']).toBeNull();
    expect(marks['layer4.0.downsample.0.weight']).toBeNull();
    const [a, b] = [await snapshot(opts[0]!, models[0]!.arena), await snapshot(opts[1]!, models[1]!.arena)];
    ['parameters', 'squareAvg', 'accDelta'].forEach((what, i) => expectSameBits(a[i]!, b[i]!, what));
    for (const o of opts) o.destroy();
    for (const m of models) m.destroy();
    images.release();
    labels.release();
  });
});
