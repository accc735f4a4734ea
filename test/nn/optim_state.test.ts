// Optimizer.exportState/importState: a state moved to a fresh optimiser over an identical arena
// continues bit-identically, exports are caller-owned copies, and mismatched state is refused
// with an error naming what is wrong. Arena: 1000 + 15 + 70 floats -> (1216) f32, padded per
// parameter to 64-float blocks; the 70-float bias is frozen in some cases.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import { ParamArena } from '../../src/nn/arena.js';
import { Adadelta, AdamW, Sgd, type Optimizer, type OptimizerStateInput } from '../../src/nn/optim.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { expectSameBits as expectBits } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();

function makeArena(init: Float32Array[]): ParamArena {
  return new ParamArena(gpu(), [
    { name: 'w', shape: [10, 100], init: init[0]! },
    { name: 'v', shape: [3, 5], init: init[1]! },
    { name: 'b', shape: [70], init: init[2]! },
  ]);
}

function randomInit(rng: Rng): Float32Array[] {
  return [1000, 15, 70].map((n) => new Float32Array(rng.array(n, -1, 1)));
}

async function read(t: Tensor): Promise<Float32Array> {
  return t.toFloat32();
}

/** Bitwise equality (NaN-safe), with the first differing index in the message. */
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expectBits(actual, expected, `seed ${seed}: ${what}`);
}

/** The state as host arrays (exports, reads, releases the copies). */
async function hostState(opt: Optimizer): Promise<{ steps: number; tensors: Record<string, Float32Array> }> {
  const s = opt.exportState();
  const tensors: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(s.tensors)) {
    tensors[k] = await read(t);
    t.release();
  }
  return { steps: s.steps, tensors };
}

/** Random gradients, zero in the padding after each parameter (the arena keeps it at zero). */
function randomGrads(rng: Rng, arena: ParamArena): Float32Array {
  const g = new Float32Array(arena.total);
  for (const n of arena.names) {
    const e = arena.get(n);
    g.set(rng.array(e.size, -1, 1), e.offset);
  }
  return g;
}

function step(opt: Optimizer, arena: ParamArena, grads: Float32Array): void {
  arena.grads.write(grads);
  opt.step();
  gpu().submit();
}

interface Kind {
  name: string;
  make: (arena: ParamArena) => Optimizer;
  names: string[];
}

// Hyper-parameters chosen so every state buffer and the step count change the next update.
const KINDS: Kind[] = [
  { name: 'Adadelta', make: (a) => new Adadelta(a, { lr: 0.5, weightDecay: 0.01 }), names: ['squareAvg', 'accDelta'] },
  { name: 'SGD momentum', make: (a) => new Sgd(a, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false }), names: ['momentumBuffer'] },
  { name: 'SGD nesterov', make: (a) => new Sgd(a, { lr: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.01 }), names: ['momentumBuffer'] },
  { name: 'AdamW', make: (a) => new AdamW(a, { lr: 0.01 }), names: ['expAvg', 'expAvgSq'] },
];

describe('optimizer state export/import', () => {
  for (const kind of KINDS) {
    for (const via of ['tensors', 'host arrays'] as const) {
      it(`${kind.name}: 3 steps, export, import into a fresh optimiser (${via}), one more step on both: bit-identical`, async () => {
        const rng = new Rng(seed);
        const init = randomInit(rng);
        const arenaA = makeArena(init);
        const optA = kind.make(arenaA);
        expect([...optA.stateNames]).toEqual(kind.names);
        const grads = Array.from({ length: 4 }, () => randomGrads(rng, arenaA));
        // The frozen bias keeps its (zero) state through the steps; unfreezing it for the last
        // step makes the transferred state of a previously frozen parameter matter too.
        arenaA.setRequiresGrad((n) => n === 'b', false);
        for (let s = 0; s < 3; s++) step(optA, arenaA, grads[s]!);

        // A fresh arena with A's current parameters, and a fresh optimiser over it.
        const now = await Promise.all(['w', 'v', 'b'].map((n) => arenaA.get(n).param.data.toFloat32()));
        const arenaC = makeArena(now);
        arenaC.setRequiresGrad((n) => n === 'b', false);
        const optC = kind.make(arenaC);

        const exported = optA.exportState();
        expect(exported.steps).toBe(3);
        expect(Object.keys(exported.tensors).sort()).toEqual([...kind.names].sort());
        if (via === 'tensors') {
          optC.importState(exported);
        } else {
          const host: OptimizerStateInput = { steps: exported.steps, tensors: {} };
          for (const [k, t] of Object.entries(exported.tensors)) host.tensors[k] = await read(t);
          optC.importState(host);
        }
        // The import copied: releasing the export must not disturb C.
        for (const t of Object.values(exported.tensors)) t.release();
        expect(optC.steps).toBe(3);

        // A control that does not import: the next step must differ from A's, or the test
        // could pass with an import that does nothing.
        const arenaD = makeArena(now);
        arenaD.setRequiresGrad((n) => n === 'b', false);
        const optD = kind.make(arenaD);
        (optD as { steps: number }).steps = 3;

        for (const a of [arenaA, arenaC, arenaD]) a.setRequiresGrad(() => true, true);
        step(optA, arenaA, grads[3]!);
        step(optC, arenaC, grads[3]!);
        step(optD, arenaD, grads[3]!);

        const pA = await read(arenaA.params);
        expectSameBits(await read(arenaC.params), pA, 'parameters after the step');
        const sA = await hostState(optA);
        const sC = await hostState(optC);
        expect(sC.steps).toBe(4);
        expect(sA.steps).toBe(4);
        for (const k of kind.names) expectSameBits(sC.tensors[k]!, sA.tensors[k]!, `state '${k}'`);
        const pD = await read(arenaD.params);
        expect(pD.some((x, i) => x !== pA[i]), 'an optimiser without the imported state took the same step').toBe(true);

        for (const o of [optA, optC, optD]) o.destroy();
        for (const a of [arenaA, arenaC, arenaD]) a.destroy();
      });
    }
  }

  it('exports are copies: later steps do not change them; before the first step the state is zeros', async () => {
    const rng = new Rng(seed + 1);
    const arena = makeArena(randomInit(rng));
    const opt = new AdamW(arena);
    const empty = await hostState(opt);
    expect(empty.steps).toBe(0);
    for (const k of opt.stateNames) expect(empty.tensors[k]!.every((x) => x === 0 && !Object.is(x, -0))).toBe(true);

    step(opt, arena, randomGrads(rng, arena));
    const snap = opt.exportState();
    const before = await read(snap.tensors['expAvg']!);
    expect(before.some((x) => x !== 0)).toBe(true);
    step(opt, arena, randomGrads(rng, arena));
    expectSameBits(await read(snap.tensors['expAvg']!), before, 'exported expAvg after another step');
    const live = await hostState(opt);
    expect(live.tensors['expAvg']!.some((x, i) => x !== before[i])).toBe(true);
    for (const t of Object.values(snap.tensors)) t.release();
    opt.destroy();
    arena.destroy();
  });

  it('SGD without momentum has no state tensors and refuses one', async () => {
    const arena = makeArena(randomInit(new Rng(seed + 2)));
    const opt = new Sgd(arena, { lr: 0.1 });
    step(opt, arena, randomGrads(new Rng(seed + 4), arena));
    const s = opt.exportState();
    expect(s).toEqual({ steps: 1, tensors: {} });
    const fresh = new Sgd(arena, { lr: 0.1 });
    fresh.importState(s);
    expect(fresh.steps).toBe(1);
    expect(() => fresh.importState({ steps: 1, tensors: { momentumBuffer: new Float32Array(arena.total) } })).toThrow(
      "SGD state 'momentumBuffer' is not one of SGD's state tensors (none)",
    );
    opt.destroy();
    fresh.destroy();
    arena.destroy();
  });

  it('mismatched state is refused with an error naming it, and leaves the optimiser unchanged', async () => {
    const rng = new Rng(seed + 3);
    // One 1000-float parameter: the arena is 1024 floats.
    const arena = new ParamArena(gpu(), [{ name: 'w', shape: [1000], init: new Float32Array(rng.array(1000, -1, 1)) }]);
    expect(arena.total).toBe(1024);
    const opt = new Adadelta(arena);
    step(opt, arena, randomGrads(rng, arena));
    const before = await hostState(opt);
    const ok = (): Record<string, Float32Array> => ({ squareAvg: new Float32Array(1024).fill(7), accDelta: new Float32Array(1024).fill(7) });
    const g = gpu();

    const u32 = Tensor.fromArray(g, new Uint32Array(1024), [1024], 'u32');
    const long = Tensor.fromArray(g, new Float32Array(2048), [2048]);
    const released = Tensor.fromArray(g, new Float32Array(1024), [1024]);
    released.release();
    const cases: [string, OptimizerStateInput, string][] = [
      ['wrong name', { steps: 5, tensors: { ...ok(), squareAvgs: new Float32Array(1024) } }, "Adadelta state 'squareAvgs' is not one of Adadelta's state tensors (squareAvg, accDelta)"],
      ['missing tensor', { steps: 5, tensors: { squareAvg: ok()['squareAvg']! } }, "Adadelta state lacks 'accDelta' (Adadelta needs squareAvg, accDelta)"],
      ['short host array', { steps: 5, tensors: { ...ok(), accDelta: new Float32Array(1000) } }, "Adadelta state 'accDelta' has 1000 floats, the arena has 1024"],
      ['long tensor', { steps: 5, tensors: { ...ok(), squareAvg: long } }, "Adadelta state 'squareAvg' has 2048 floats, the arena has 1024"],
      ['u32 tensor', { steps: 5, tensors: { ...ok(), squareAvg: u32 } }, "Adadelta state 'squareAvg' is u32, expected f32"],
      ['f64 host array', { steps: 5, tensors: { ...ok(), squareAvg: new Float64Array(1024) as never } }, "Adadelta state 'squareAvg' is a Float64Array, expected f32 (a Float32Array or an f32 Tensor)"],
      ['released tensor', { steps: 5, tensors: { ...ok(), accDelta: released } }, "Adadelta state 'accDelta' was released"],
      ['negative steps', { steps: -1, tensors: ok() }, 'Adadelta state: steps must be a non-negative integer, got -1'],
      ['fractional steps', { steps: 1.5, tensors: ok() }, 'Adadelta state: steps must be a non-negative integer, got 1.5'],
    ];
    for (const [what, state, message] of cases) {
      expect(() => opt.importState(state), what).toThrow(message);
      // The valid tensors before the bad one were not written either.
      const after = await hostState(opt);
      expect(after.steps, what).toBe(before.steps);
      for (const k of opt.stateNames) expectSameBits(after.tensors[k]!, before.tensors[k]!, `${what}: state '${k}'`);
    }
    u32.release();
    long.release();
    // A valid import still works after the refusals.
    opt.importState({ steps: 5, tensors: ok() });
    const now = await hostState(opt);
    expect(now.steps).toBe(5);
    expect(now.tensors['accDelta']!.every((x) => x === 7)).toBe(true);
    opt.destroy();
    arena.destroy();
  });
});
