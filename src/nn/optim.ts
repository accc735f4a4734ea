// Optimisers over a ParamArena: each step is one fused dispatch over all parameters (frozen ones
// masked out), recorded into the open step; hyper-parameters are plain fields read at each step,
// so changing the learning rate between steps recompiles nothing. exportState/importState are the
// one public way to save and restore the state buffers and step count (checkpoints, --resume).
import { adadeltaUpdate, adamwUpdate, sgdUpdate, type ArenaBuffers } from '../kernels/optim.js';
import { Tensor } from '../gpu/tensor.js';
import type { ParamArena } from './arena.js';

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

/** torch.optim.Adadelta (defaults lr 1.0, rho 0.9, eps 1e-6, weight_decay 0). */
export class Adadelta implements Optimizer {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  steps = 0;
  constructor(
    readonly arena: ParamArena,
    o: { lr?: number; rho?: number; eps?: number; weightDecay?: number } = {},
  ) {
    this.lr = o.lr ?? 1.0;
    this.rho = o.rho ?? 0.9;
    this.eps = o.eps ?? 1e-6;
    this.weightDecay = o.weightDecay ?? 0;
    this.state = new State(arena, 2);
  }
  private readonly state: State;
  readonly stateNames = ['squareAvg', 'accDelta'] as const;
  step(): void {
    const [squareAvg, accDelta] = this.state.get();
    adadeltaUpdate(this.arena.gpu, buffers(this.arena), { squareAvg: squareAvg!, accDelta: accDelta! }, this);
    this.steps++;
  }
  exportState(): OptimizerState {
    return { steps: this.steps, tensors: this.state.export(this.stateNames) };
  }
  importState(state: OptimizerStateInput): void {
    this.state.import('Adadelta', this.stateNames, state);
    this.steps = state.steps;
  }
  destroy(): void {
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
