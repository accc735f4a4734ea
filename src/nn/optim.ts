// Optimisers over a ParamArena: each step is one fused dispatch over all parameters (frozen ones
// masked out; Adadelta splits it where gradients are known to be zero, see there), recorded into
// the open step; hyper-parameters are plain fields read at each step,
// so changing the learning rate between steps recompiles nothing. exportState/importState are the
// one public way to save and restore the state buffers and step count (checkpoints, --resume).
import {
  adadeltaDecayRun, adadeltaUpdate, adadeltaUpdateRun, adamwUpdate, OPTIM_BLOCK, runFits, sgdUpdate, type ArenaBuffers,
} from '../kernels/optim.js';
import { Tensor, type ZeroPattern } from '../gpu/tensor.js';
import type { ParamArena, ParamEntry } from './arena.js';

export interface Optimizer {
  lr: number;
  /** Steps taken so far. */
  readonly steps: number;
  /**
   * Names of the state buffers, in the order checkpoints number them (`state.<i>`); torch's
   * names in camelCase. Empty when the optimiser keeps no state (SGD without momentum).
   */
  readonly stateNames: readonly string[];
  /** Records the update of every trainable parameter from the arena's gradients. */
  step(): void;
  /**
   * A copy of the state, recorded into the open step (so it sees every step recorded before it).
   * The tensors are new buffers the CALLER owns and must release; the optimiser never touches
   * them again. Before the first step the state is all zeros (torch's lazy state).
   */
  exportState(): OptimizerState;
  /**
   * Replaces the state (and the step count) with `state`, which must name exactly
   * `stateNames`, each (arena.total) f32. Tensors are copied on the GPU (the caller keeps
   * them), host arrays uploaded. Everything is checked before anything is written: a mismatch
   * throws an Error naming the offending entry and leaves the optimiser as it was.
   */
  importState(state: OptimizerStateInput): void;
  /** Releases the optimiser's state buffers. */
  destroy(): void;
}

/**
 * An optimiser's resumable state. tensors: name -> (arena.total) f32 in the arena layout (a
 * parameter's state at the parameter's arena offset, padding zero). steps: the only scalar the
 * updates read: AdamW's bias-correction count, and SGD's first-step rule (the momentum buffer
 * starts as the gradient only while steps is 0).
 */
export interface OptimizerState {
  steps: number;
  tensors: Record<string, Tensor>;
}

/** What importState accepts: state tensors on this optimiser's GPU, or host f32 arrays. */
export interface OptimizerStateInput {
  steps: number;
  tensors: Record<string, Tensor | Float32Array>;
}

/** State buffers parallel to the arena, made at the first step (zero, as torch's lazy state). */
class State {
  private tensors: Tensor[] | null = null;
  constructor(
    private readonly arena: ParamArena,
    private readonly count: number,
  ) {}
  get(): Tensor[] {
    return (this.tensors ??= Array.from({ length: this.count }, () => this.arena.stateBuffer()));
  }
  /** Caller-owned copies of the buffers (zeros when none exist yet); see Optimizer.exportState. */
  export(names: readonly string[]): Record<string, Tensor> {
    const gpu = this.arena.gpu;
    const out: Record<string, Tensor> = {};
    names.forEach((name, i) => {
      const src = this.tensors?.[i];
      if (!src) {
        out[name] = this.arena.stateBuffer();
        return;
      }
      const copy = Tensor.empty(gpu, [this.arena.total]);
      gpu.copy(src.buffer, src.offset, copy.buffer, copy.offset, src.byteLength);
      out[name] = copy;
    });
    return out;
  }
  /** Validates `state` against `names` and the arena, then writes it; see Optimizer.importState. */
  import(kind: string, names: readonly string[], state: OptimizerStateInput): void {
    const what = `${kind} state`;
    if (typeof state !== 'object' || state === null || typeof state.tensors !== 'object' || state.tensors === null) {
      throw new TypeError(`${what}: expected { steps, tensors }`);
    }
    if (!Number.isSafeInteger(state.steps) || state.steps < 0) throw new RangeError(`${what}: steps must be a non-negative integer, got ${state.steps}`);
    const expected = names.length > 0 ? names.join(', ') : 'none';
    for (const name of Object.keys(state.tensors)) {
      if (!names.includes(name)) throw new Error(`${what} '${name}' is not one of ${kind}'s state tensors (${expected})`);
    }
    const total = this.arena.total;
    const sources = names.map((name) => {
      const src = state.tensors[name];
      if (src === undefined) throw new Error(`${what} lacks '${name}' (${kind} needs ${expected})`);
      if (src instanceof Tensor) {
        if (src.dtype !== 'f32') throw new TypeError(`${what} '${name}' is ${src.dtype}, expected f32`);
        if (src.isReleased) throw new Error(`${what} '${name}' was released`);
        if (src.gpu !== this.arena.gpu) throw new Error(`${what} '${name}' lives on another GPU device`);
      } else if (!(src instanceof Float32Array)) {
        const type = (src as object | null)?.constructor?.name ?? String(src);
        throw new TypeError(`${what} '${name}' is a ${type}, expected f32 (a Float32Array or an f32 Tensor)`);
      }
      const n = src instanceof Tensor ? src.size : src.length;
      if (n !== total) throw new RangeError(`${what} '${name}' has ${n} floats, the arena has ${total}`);
      return src;
    });
    const gpu = this.arena.gpu;
    const targets = sources.length > 0 ? this.get() : [];
    sources.forEach((src, i) => {
      const dst = targets[i]!;
      if (src instanceof Tensor) gpu.copy(src.buffer, src.offset, dst.buffer, dst.offset, dst.byteLength);
      else dst.write(src);
    });
  }
  destroy(): void {
    for (const t of this.tensors ?? []) t.release();
    this.tensors = null;
  }
}

function buffers(arena: ParamArena): ArenaBuffers {
  return { params: arena.params, grads: arena.grads, mask: arena.mask, range: arena.trainableRange };
}

/** Forgets what the last backward said about zeros in the gradients (they are used up by a step). */
function clearGradZeros(arena: ParamArena): void {
  for (const e of arena.entryList) e.param.gradZeros = null;
}

/** The runs of [0, period) that `live` leaves out. */
function deadRuns(p: ZeroPattern): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  for (const [first, count] of p.live) {
    if (first > at) out.push([at, first - at]);
    at = first + count;
  }
  if (at < p.period) out.push([at, p.period - at]);
  return out;
}

function samePattern(a: ZeroPattern, b: ZeroPattern): boolean {
  return a.period === b.period && a.live.length === b.live.length && a.live.every(([f, c], i) => f === b.live[i]![0] && c === b.live[i]![1]);
}

/** A usable pattern for `e`'s gradient: runs in order within the period, the period dividing the size. */
function validPattern(e: ParamEntry, p: ZeroPattern | null): ZeroPattern | null {
  if (!p || !Number.isSafeInteger(p.period) || p.period < 1 || e.size % p.period !== 0) return null;
  let at = 0;
  for (const [first, count] of p.live) {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < at || count < 1 || first + count > p.period) return null;
    at = first + count;
  }
  return p;
}

/** Steps whose decay of zero-gradient elements is still owed to the state (see Adadelta). */
interface Deferred {
  pattern: ZeroPattern;
  steps: number;
  rho: number;
}

/**
 * torch.optim.Adadelta (defaults lr 1.0, rho 0.9, eps 1e-6, weight_decay 0).
 *
 * Elements whose gradient is known to be exactly zero (Var.gradZeros: the taps of a 3x3 weight
 * that see only padding, as 8 of 9 do in layer4 at 32 px) are not swept at every step: with
 * g = 0 and no weight decay a step leaves the parameter alone and multiplies both accumulators by
 * rho, so those multiplications are owed and applied later, one by one, in order (the same floats
 * as the eager update, to the last bit): before the pattern or rho changes, before the state is
 * exported, and at least every DEFER_MAX steps. The other elements are updated every step.
 * Two things differ from the eager update, neither in a run that has not diverged: the padding
 * after a deferred parameter is not swept (it holds zeros, as the arena keeps it, and zeros stay
 * zeros), and a gradient "known" to be zero that is NaN because dy was (0 * NaN) leaves the
 * parameter as it was instead of making it NaN.
 */
export class Adadelta implements Optimizer {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  steps = 0;
  /** Steps a decay may stay owed; the replay then costs a few multiplications per element and step. */
  static readonly DEFER_MAX = 32;
  constructor(
    readonly arena: ParamArena,
    o: { lr?: number; rho?: number; eps?: number; weightDecay?: number; deferZeros?: boolean } = {},
  ) {
    this.lr = o.lr ?? 1.0;
    this.rho = o.rho ?? 0.9;
    this.eps = o.eps ?? 1e-6;
    this.weightDecay = o.weightDecay ?? 0;
    this.deferZeros = o.deferZeros ?? true;
    this.state = new State(arena, 2);
  }
  /**
   * Whether known-zero gradients defer their elements' decay (the default; the results are the
   * same floats either way). false: every element in one dispatch each step.
   */
  deferZeros: boolean;
  private readonly state: State;
  private readonly deferred = new Map<ParamEntry, Deferred>();
  readonly stateNames = ['squareAvg', 'accDelta'] as const;
  step(): void {
    const [squareAvg, accDelta] = this.state.get();
    const st = { squareAvg: squareAvg!, accDelta: accDelta! };
    const gpu = this.arena.gpu;
    const entries = this.arena.entryList;
    const defer = this.deferZeros && this.weightDecay === 0;
    const patterns = entries.map((e) => (defer && e.param.requiresGrad ? validPattern(e, e.param.gradZeros) : null));
    clearGradZeros(this.arena);
    if (this.deferred.size === 0 && patterns.every((p) => p === null)) {
      adadeltaUpdate(gpu, buffers(this.arena), st, this);
      this.steps++;
      return;
    }
    // Dense parameters in runs of neighbours (one dispatch each); patterned ones by their live runs.
    const ranges: [number, number][] = [];
    const dense = (e: ParamEntry): void => {
      const end = e.offset + Math.ceil(Math.max(e.size, 1) / OPTIM_BLOCK) * OPTIM_BLOCK;
      const last = ranges[ranges.length - 1];
      if (last && last[1] === e.offset) last[1] = end;
      else ranges.push([e.offset, end]);
    };
    entries.forEach((e, i) => {
      let pattern: ZeroPattern | null = patterns[i] ?? null;
      const rows = pattern ? e.size / pattern.period : 0;
      if (pattern && !runFits(gpu, rows, pattern.period)) pattern = null;
      const owed = this.deferred.get(e);
      if (owed && (!pattern || !samePattern(owed.pattern, pattern) || owed.rho !== this.rho || owed.steps >= Adadelta.DEFER_MAX)) {
        this.settle(e, owed);
      }
      if (!e.param.requiresGrad) return;
      if (!pattern) {
        dense(e);
        return;
      }
      for (const [first, count] of pattern.live) {
        adadeltaUpdateRun(gpu, buffers(this.arena), st, this, { offset: e.offset, rows, period: pattern.period, first, count });
      }
      const d = this.deferred.get(e);
      if (d) d.steps++;
      else this.deferred.set(e, { pattern, steps: 1, rho: this.rho });
    });
    for (const range of ranges) adadeltaUpdate(gpu, { ...buffers(this.arena), range }, st, this);
    this.steps++;
  }
  /** Applies the decays owed to `e`'s zero-gradient elements. */
  private settle(e: ParamEntry, owed: Deferred): void {
    const [squareAvg, accDelta] = this.state.get();
    const rows = e.size / owed.pattern.period;
    for (const [first, count] of deadRuns(owed.pattern)) {
      adadeltaDecayRun(this.arena.gpu, { squareAvg: squareAvg!, accDelta: accDelta! }, owed.rho, owed.steps, { offset: e.offset, rows, period: owed.pattern.period, first, count });
    }
    this.deferred.delete(e);
  }
  /** Every owed decay applied (recorded into the open step). */
  private settleAll(): void {
    for (const [e, owed] of [...this.deferred]) this.settle(e, owed);
  }
  exportState(): OptimizerState {
    this.settleAll();
    return { steps: this.steps, tensors: this.state.export(this.stateNames) };
  }
  importState(state: OptimizerStateInput): void {
    this.state.import('Adadelta', this.stateNames, state);
    this.deferred.clear(); // the state replaced is owed nothing
    this.steps = state.steps;
  }
  destroy(): void {
    this.deferred.clear();
    this.state.destroy();
  }
}

/**
 * torch.optim.SGD. The momentum buffer starts as the first gradient (torch's rule) on the
 * optimiser's first step; a parameter unfrozen later starts from a zero buffer instead.
 */
export class Sgd implements Optimizer {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  steps = 0;
  constructor(
    readonly arena: ParamArena,
    o: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean },
  ) {
    this.lr = o.lr;
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.state = new State(arena, 1);
  }
  private readonly state: State;
  /** The momentum buffer exists only with momentum (as torch keeps none without). */
  get stateNames(): readonly string[] {
    return this.momentum !== 0 ? ['momentumBuffer'] : [];
  }
  step(): void {
    const momentumBuffer = this.momentum !== 0 ? this.state.get()[0]! : null;
    sgdUpdate(this.arena.gpu, buffers(this.arena), { momentumBuffer }, { ...this, first: this.steps === 0 });
    clearGradZeros(this.arena);
    this.steps++;
  }
  exportState(): OptimizerState {
    return { steps: this.steps, tensors: this.state.export(this.stateNames) };
  }
  /** Importing steps > 0 also ends the first-step rule, as on the optimiser that exported it. */
  importState(state: OptimizerStateInput): void {
    this.state.import('SGD', this.stateNames, state);
    this.steps = state.steps;
  }
  destroy(): void {
    this.state.destroy();
  }
}

/** torch.optim.AdamW (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2). */
export class AdamW implements Optimizer {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  steps = 0;
  constructor(
    readonly arena: ParamArena,
    o: { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number } = {},
  ) {
    this.lr = o.lr ?? 1e-3;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 1e-2;
    this.state = new State(arena, 2);
  }
  private readonly state: State;
  readonly stateNames = ['expAvg', 'expAvgSq'] as const;
  step(): void {
    const [expAvg, expAvgSq] = this.state.get();
    this.steps++;
    adamwUpdate(this.arena.gpu, buffers(this.arena), { expAvg: expAvg!, expAvgSq: expAvgSq! }, { ...this, step: this.steps });
    clearGradZeros(this.arena);
  }
  exportState(): OptimizerState {
    return { steps: this.steps, tensors: this.state.export(this.stateNames) };
  }
  /** steps is the bias-correction count the next update continues from. */
  importState(state: OptimizerStateInput): void {
    this.state.import('AdamW', this.stateNames, state);
    this.steps = state.steps;
  }
  destroy(): void {
    this.state.destroy();
  }
}
