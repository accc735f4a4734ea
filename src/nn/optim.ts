// Optimisers over a ParamArena: each step is one fused dispatch over all parameters (frozen ones
// masked out), recorded into the open step; hyper-parameters are plain fields read at each step,
// so changing the learning rate between steps recompiles nothing.
import { adadeltaUpdate, adamwUpdate, sgdUpdate, type ArenaBuffers } from '../kernels/optim.js';
import type { Tensor } from '../gpu/tensor.js';
import type { ParamArena } from './arena.js';

export interface Optimizer {
  lr: number;
  /** Steps taken so far. */
  readonly steps: number;
  /** Records the update of every trainable parameter from the arena's gradients. */
  step(): void;
  /** Releases the optimiser's state buffers. */
  destroy(): void;
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
  step(): void {
    const [squareAvg, accDelta] = this.state.get();
    adadeltaUpdate(this.arena.gpu, buffers(this.arena), { squareAvg: squareAvg!, accDelta: accDelta! }, this);
    this.steps++;
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
  step(): void {
    const momentumBuffer = this.momentum !== 0 ? this.state.get()[0]! : null;
    sgdUpdate(this.arena.gpu, buffers(this.arena), { momentumBuffer }, { ...this, first: this.steps === 0 });
    this.steps++;
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
  step(): void {
    const [expAvg, expAvgSq] = this.state.get();
    this.steps++;
    adamwUpdate(this.arena.gpu, buffers(this.arena), { expAvg: expAvg!, expAvgSq: expAvgSq! }, { ...this, step: this.steps });
  }
  destroy(): void {
    this.state.destroy();
  }
}
