// Fused optimiser updates (shaders/{adadelta,sgd,adamw}.wgsl) against the float64 references.
// Arena tensors: (n) f32 flat, n a multiple of 64; mask: (n/64) u32, 0 = frozen block.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import {
  adadeltaDecayRun, adadeltaUpdate, adadeltaUpdateRun, adamwUpdate, OPTIM_BLOCK, sgdUpdate, type ArenaBuffers, type ArenaRun,
} from '../../src/kernels/optim.js';
import { adadeltaReference, adamwReference, sgdReference, type SgdOpts } from '../../src/reference/optim.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { firstNonFinite, relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

// A 64 KiB binding cap forces arenas above 16,384 floats into several chunks (one dispatch each).
const MAX_BINDING = 64 * 1024;
const gpu = useGpu({ poison: true, maxBindingBytes: MAX_BINDING });
const seed = testSeed();

interface Case {
  n: number;
  rng: Rng;
  p0: Float64Array;
  mask: Uint32Array;
}

function makeCase(n: number, rng: Rng): Case {
  const p0 = Float64Array.from(new Float32Array(rng.array(n, -1, 1)));
  const mask = new Uint32Array(n / OPTIM_BLOCK);
  // About a quarter of the blocks frozen, the first one trainable.
  for (let b = 0; b < mask.length; b++) mask[b] = b === 0 || rng.next() > 0.25 ? 1 : 0;
  return { n, rng, p0, mask };
}

function upload(c: Case): ArenaBuffers {
  const g = gpu();
  return {
    params: Tensor.fromArray(g, c.p0, [c.n]),
    grads: Tensor.empty(g, [c.n]),
    mask: Tensor.fromArray(g, c.mask, [c.mask.length], 'u32'),
  };
}

function zeros(n: number): Tensor {
  return Tensor.fromArray(gpu(), new Float32Array(n), [n]);
}

/** Fresh f32 gradients each step; frozen blocks get NaN, which the update must never read. */
function gradients(c: Case): Float32Array {
  const g = new Float32Array(c.rng.array(c.n, -1, 1));
  for (let i = 0; i < c.n; i++) if (c.mask[Math.floor(i / OPTIM_BLOCK)] === 0) g[i] = NaN;
  return g;
}

/**
 * Parameter error relative to the size of the update (not of the parameter), so a kernel that
 * skipped the update could not pass. Tolerance 1e-4: the f32 rounding of p itself (half an ulp,
 * 6e-8 for |p| < 1) over the smallest update scale in these cases (about 1e-3) is 6e-5.
 */
function updateError(gpuP: Float32Array, refP: Float64Array, p0: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < refP.length; i++) {
    diff = Math.max(diff, Math.abs(gpuP[i]! - refP[i]!));
    scale = Math.max(scale, Math.abs(refP[i]! - p0[i]!));
  }
  return diff / scale;
}

async function checkFrozen(c: Case, pGpu: Float32Array): Promise<void> {
  for (let i = 0; i < c.n; i++) {
    if (c.mask[Math.floor(i / OPTIM_BLOCK)] === 0 && pGpu[i] !== c.p0[i]) {
      throw new Error(`seed ${seed}: frozen element ${i} changed from ${c.p0[i]} to ${pGpu[i]}`);
    }
  }
}

// 192 floats (one chunk, 3 blocks) and 44,800 floats (three chunks under the 64 KiB cap).
const SIZES = [192, 700 * OPTIM_BLOCK];
const STEPS = 3;

type GpuStep = (a: ArenaBuffers, state: Tensor[], step: number) => void;
type RefStep = (p: Float64Array, grad: Float32Array, state: Float64Array[], step: number, mask: Uint32Array) => void;

/**
 * Runs STEPS updates on the GPU and in float64. Each reference step starts from the GPU's own f32
 * parameters and state, so each step is judged alone and rounding does not compound.
 * State tolerance 1e-5: a handful of f32 roundings per element (relative 6e-8 each).
 */
async function runOptimiser(n: number, stateCount: number, gpuStep: GpuStep, refStep: RefStep): Promise<void> {
  const c = makeCase(n, new Rng(seed + n));
  const a = upload(c);
  const state = Array.from({ length: stateCount }, () => zeros(n));
  const p = Float64Array.from(c.p0);
  const refState = Array.from({ length: stateCount }, () => new Float64Array(n));
  let pGpu: Float32Array = new Float32Array(0);
  for (let step = 1; step <= STEPS; step++) {
    const grad = gradients(c);
    a.grads.write(grad);
    const pBefore = Float64Array.from(p);
    gpuStep(a, state, step);
    refStep(p, grad, refState, step, c.mask);
    pGpu = await a.params.toFloat32();
    expect(firstNonFinite(pGpu), `seed ${seed} step ${step}: unwritten or NaN parameter`).toBe(-1);
    expect(updateError(pGpu, p, pBefore), `seed ${seed} step ${step} params`).toBeLessThan(1e-4);
    p.set(pGpu);
    for (let k = 0; k < stateCount; k++) {
      const sGpu = await state[k]!.toFloat32();
      expect(relError(sGpu, refState[k]!), `seed ${seed} step ${step} state ${k}`).toBeLessThan(1e-5);
      refState[k]!.set(sGpu);
    }
  }
  await checkFrozen(c, pGpu);
  for (const t of [a.params, a.grads, a.mask, ...state]) t.release();
}

describe('adadelta (torch.optim.Adadelta semantics)', () => {
  for (const n of SIZES) {
    for (const h of [
      { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 },
      { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.05 },
    ]) {
      it(`n=${n} ${JSON.stringify(h)}: ${STEPS} steps match the float64 reference`, async () => {
        await runOptimiser(
          n, 2,
          (a, [v, u]) => adadeltaUpdate(gpu(), a, { squareAvg: v!, accDelta: u! }, h),
          (p, grad, [v, u], _step, mask) => adadeltaReference(p, grad, v!, u!, h, mask),
        );
      });
    }
  }
});

// The strided kernels of deferred zero-gradient decays (src/nn/optim.ts): one run of one
// parameter at its arena offset; every element outside the run must come back unchanged.
// Runs: (offset, rows, period, first, count). 37 rows and 1101 rows (two workgroup columns of
// 1,024 rows), row counts that are not multiples of the 4 rows per invocation,
// odd periods and a run at each end of the period; the arena is 64 floats longer than the parameter.
const RUNS: ArenaRun[] = [
  { offset: 64, rows: 37, period: 9, first: 4, count: 1 },
  { offset: 0, rows: 1101, period: 9, first: 0, count: 4 },
  { offset: 128, rows: 11, period: 7, first: 5, count: 2 },
  { offset: 0, rows: 5, period: 1, first: 0, count: 1 },
];

function runElements(r: ArenaRun): number[] {
  const out: number[] = [];
  for (let row = 0; row < r.rows; row++) for (let t = 0; t < r.count; t++) out.push(r.offset + row * r.period + r.first + t);
  return out;
}

function expectUnchangedOutside(run: ArenaRun, before: Float32Array, after: Float32Array, what: string): void {
  const inside = new Set(runElements(run));
  for (let i = 0; i < before.length; i++) {
    if (!inside.has(i) && !Object.is(before[i], after[i])) throw new Error(`seed ${seed}: ${what}[${i}] outside the run changed from ${before[i]} to ${after[i]}`);
  }
}

describe('adadelta on strided runs (adadelta_runs.wgsl, adadelta_decay.wgsl)', () => {
  const h = { lr: 0.7, rho: 0.85, eps: 1e-6, weightDecay: 0.01 };
  for (const run of RUNS) {
    const n = Math.ceil((run.offset + run.rows * run.period) / OPTIM_BLOCK) * OPTIM_BLOCK + OPTIM_BLOCK;
    it(`update ${JSON.stringify(run)}: ${STEPS} steps match the float64 reference inside, nothing changes outside`, async () => {
      const rng = new Rng(seed + run.rows * 31 + run.first);
      const host = [0, 1, 2, 3].map((k) => new Float32Array(rng.array(n, k === 2 || k === 3 ? 0 : -1, 1)));
      const [p, g, v, u] = host.map((a) => Tensor.fromArray(gpu(), a, [n]));
      const mask = Tensor.fromArray(gpu(), new Uint32Array(n / OPTIM_BLOCK).fill(1), [n / OPTIM_BLOCK], 'u32');
      const idx = runElements(run);
      for (let step = 1; step <= STEPS; step++) {
        const before = await Promise.all([p!, v!, u!].map((t) => t.toFloat32()));
        const grad = await g!.toFloat32();
        adadeltaUpdateRun(gpu(), { params: p!, grads: g!, mask }, { squareAvg: v!, accDelta: u! }, h, run);
        const after = await Promise.all([p!, v!, u!].map((t) => t.toFloat32()));
        ['p', 'v', 'u'].forEach((name, k) => expectUnchangedOutside(run, before[k]!, after[k]!, name));
        // The reference on the run's elements alone, from the GPU's own inputs of this step.
        const rp = Float64Array.from(idx, (i) => before[0]![i]!);
        const rv = Float64Array.from(idx, (i) => before[1]![i]!);
        const ru = Float64Array.from(idx, (i) => before[2]![i]!);
        adadeltaReference(rp, idx.map((i) => grad[i]!), rv, ru, h);
        const gp = new Float32Array(idx.map((i) => after[0]![i]!));
        expect(updateError(gp, rp, Float64Array.from(idx, (i) => before[0]![i]!)), `seed ${seed} step ${step} params`).toBeLessThan(1e-4);
        expect(relError(new Float32Array(idx.map((i) => after[1]![i]!)), rv), `seed ${seed} step ${step} squareAvg`).toBeLessThan(1e-5);
        expect(relError(new Float32Array(idx.map((i) => after[2]![i]!)), ru), `seed ${seed} step ${step} accDelta`).toBeLessThan(1e-5);
      }
      for (const t of [p!, g!, v!, u!, mask]) t.release();
    });
    it(`decay ${JSON.stringify(run)}: k steps are k roundings of rho*x in order, nothing changes outside`, async () => {
      const rng = new Rng(seed + run.rows * 17 + run.period);
      const v0 = new Float32Array(rng.array(n, 0, 2));
      const u0 = new Float32Array(rng.array(n, 0, 2));
      // A few tiny values, so that underflow is exercised as well.
      for (let i = 0; i < n; i += 13) v0[i] = 1e-37;
      const v = Tensor.fromArray(gpu(), v0, [n]);
      const u = Tensor.fromArray(gpu(), u0, [n]);
      const rho = 0.9;
      const rho32 = Math.fround(rho);
      let vExp: Float32Array = Float32Array.from(v0);
      let uExp: Float32Array = Float32Array.from(u0);
      for (const steps of [1, 6, 32]) {
        adadeltaDecayRun(gpu(), { squareAvg: v, accDelta: u }, rho, steps, run);
        const [vGot, uGot] = await Promise.all([v.toFloat32(), u.toFloat32()]);
        for (const i of runElements(run)) {
          for (let k = 0; k < steps; k++) {
            vExp[i] = Math.fround(rho32 * vExp[i]!);
            uExp[i] = Math.fround(rho32 * uExp[i]!);
          }
        }
        // Exact, except that an adapter may flush subnormal results to zero.
        const flushOk = (got: number, exp: number): boolean => Object.is(got, exp) || (got === 0 && Math.abs(exp) < 1.2e-38);
        for (let i = 0; i < n; i++) {
          if (!flushOk(vGot[i]!, vExp[i]!)) throw new Error(`seed ${seed}: squareAvg[${i}] after ${steps} steps is ${vGot[i]}, expected ${vExp[i]}`);
          if (!flushOk(uGot[i]!, uExp[i]!)) throw new Error(`seed ${seed}: accDelta[${i}] after ${steps} steps is ${uGot[i]}, expected ${uExp[i]}`);
        }
        // Carry on from what the GPU holds (a flushed subnormal stays flushed).
        vExp = vGot;
        uExp = uGot;
      }
      v.release();
      u.release();
    });
  }
  it('refuses runs outside the period or the arena, naming the problem', () => {
    const g = gpu();
    const a = { params: zeros(128), grads: zeros(128), mask: Tensor.fromArray(g, [1, 1], [2], 'u32') };
    const st = { squareAvg: zeros(128), accDelta: zeros(128) };
    expect(() => adadeltaUpdateRun(g, a, st, h, { offset: 0, rows: 2, period: 9, first: 8, count: 2 })).toThrow(/does not fit the period 9/);
    expect(() => adadeltaUpdateRun(g, a, st, h, { offset: 64, rows: 8, period: 9, first: 0, count: 1 })).toThrow(/overrun the arena of 128/);
    expect(() => adadeltaDecayRun(g, st, 0.9, 1, { offset: 3, rows: 1, period: 1, first: 0, count: 1 })).toThrow(/not on a 64-float block/);
  });
});

describe('sgd (torch.optim.SGD semantics)', () => {
  const cases: SgdOpts[] = [
    { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 1e-3, nesterov: false },
    { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0, nesterov: false },
    { lr: 0.02, momentum: 0.9, dampening: 0, weightDecay: 1e-2, nesterov: true },
  ];
  for (const n of SIZES) {
    for (const h of cases) {
      it(`n=${n} ${JSON.stringify(h)}: ${STEPS} steps match the float64 reference`, async () => {
        const withBuffer = h.momentum !== 0;
        await runOptimiser(
          n, withBuffer ? 1 : 0,
          (a, [buf], step) => sgdUpdate(gpu(), a, { momentumBuffer: buf ?? null }, { ...h, first: step === 1 }),
          (p, grad, [buf], step, mask) => sgdReference(p, grad, buf ?? null, h, step === 1, mask),
        );
      });
    }
  }
});

describe('adamw (torch.optim.AdamW semantics)', () => {
  for (const n of SIZES) {
    for (const h of [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 },
      { lr: 3e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 },
    ]) {
      it(`n=${n} ${JSON.stringify(h)}: ${STEPS} steps match the float64 reference`, async () => {
        await runOptimiser(
          n, 2,
          (a, [m, v], step) => adamwUpdate(gpu(), a, { expAvg: m!, expAvgSq: v! }, { ...h, step }),
          (p, grad, [m, v], step, mask) => adamwReference(p, grad, m!, v!, h, step, mask),
        );
      });
    }
  }
});

describe('optimiser wrappers refuse bad arenas', () => {
  it('names the op and the sizes', () => {
    const g = gpu();
    const a = { params: zeros(128), grads: zeros(64), mask: Tensor.fromArray(g, [1, 1], [2], 'u32') };
    expect(() => adadeltaUpdate(g, a, { squareAvg: zeros(128), accDelta: zeros(128) }, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 })).toThrow(/adadelta: arena tensors differ in size/);
  });
});

// The float64 references against torch.optim's own float64 updates (three steps, one 96-vector;
// test/fixtures/parity/optim.json from scripts/fixtures/make_parity_fixtures.py).
describe('float64 references reproduce torch.optim 1.13', () => {
  interface TorchCase {
    kind: 'adadelta' | 'sgd' | 'adamw';
    defaults: Record<string, number | boolean | number[]>;
    steps: number[][];
  }
  const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'parity', 'optim.json'), 'utf8')) as { p0: number[]; grads: number[][]; cases: TorchCase[] };
  for (const c of fixture.cases) {
    const d = c.defaults;
    it(`${c.kind} ${JSON.stringify(d)}`, () => {
      const n = fixture.p0.length;
      const p = Float64Array.from(fixture.p0);
      const s1 = new Float64Array(n);
      const s2 = new Float64Array(n);
      fixture.grads.forEach((g, k) => {
        if (c.kind === 'adadelta') {
          adadeltaReference(p, g, s1, s2, { lr: d.lr as number, rho: d.rho as number, eps: d.eps as number, weightDecay: d.weight_decay as number });
        } else if (c.kind === 'sgd') {
          const o = { lr: d.lr as number, momentum: d.momentum as number, dampening: d.dampening as number, weightDecay: d.weight_decay as number, nesterov: d.nesterov as boolean };
          sgdReference(p, g, o.momentum ? s1 : null, o, k === 0);
        } else {
          const [beta1, beta2] = d.betas as number[];
          adamwReference(p, g, s1, s2, { lr: d.lr as number, beta1: beta1!, beta2: beta2!, eps: d.eps as number, weightDecay: d.weight_decay as number }, k + 1);
        }
        // Same formulas in float64, possibly in another association order: a few ulps.
        expect(relError(p, c.steps[k]!), `step ${k + 1}`).toBeLessThan(1e-13);
      });
    });
  }
});

describe('a range limits the dispatch to the trainable span', () => {
  it('updates blocks inside [start, end) only, even where the mask says trainable', async () => {
    const g = gpu();
    const n = 700 * OPTIM_BLOCK;
    const c = makeCase(n, new Rng(seed + 7));
    c.mask.fill(1);
    const a = { ...upload(c), range: [3 * OPTIM_BLOCK, 500 * OPTIM_BLOCK] as const };
    const grad = new Float32Array(c.rng.array(n, -1, 1));
    a.grads.write(grad);
    const h = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };
    sgdUpdate(g, a, { momentumBuffer: null }, { ...h, first: true });
    const p = await a.params.toFloat32();
    for (let i = 0; i < n; i++) {
      const inside = i >= a.range[0] && i < a.range[1];
      const want = inside ? Math.fround(Math.fround(c.p0[i]!) - Math.fround(0.1 * grad[i]!)) : c.p0[i]!;
      if (inside ? Math.abs(p[i]! - want) > 1e-6 : p[i] !== want) throw new Error(`seed ${seed}: element ${i} (${inside ? 'inside' : 'outside'}) is ${p[i]}, want ${want}`);
    }
    expect(() => sgdUpdate(g, { ...a, range: [10, 64] }, { momentumBuffer: null }, { ...h, first: true })).toThrow(/whole 64-float blocks/);
    for (const t of [a.params, a.grads, a.mask]) t.release();
  });
});
