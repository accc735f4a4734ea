// ParamArena: every parameter of a model as a 256-byte-aligned view of ONE buffer, its gradient
// at the same offset of a parallel buffer, and optimiser state in further parallel buffers, so a
// single dispatch updates all of them (src/kernels/optim.ts).
// params, grads, state: (total) f32 flat; mask: (total / 64) u32, one per 64-float block,
// nonzero = the parameter owning that block requires a gradient. Every view starts on a block
// boundary and its padding up to the next view belongs to it (kept at zero), so the block mask is
// exact.
import type { Gpu } from '../gpu/runtime.js';
import { numel, Tensor } from '../gpu/tensor.js';
import { fillTensor } from '../kernels/fill.js';
import { OPTIM_BLOCK } from '../kernels/optim.js';
import { Var } from './tape.js';

export interface ParamSpec {
  name: string;
  shape: readonly number[];
  /** Initial values (length numel(shape)). */
  init: Float32Array;
  requiresGrad?: boolean;
}

export interface ParamEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in floats into the arena (a multiple of 64). */
  readonly offset: number;
  readonly size: number;
  /** The parameter as an autograd leaf; its data is the arena view, its gradTarget the grad view. */
  readonly param: Var;
  readonly grad: Tensor;
}

export class ParamArena {
  readonly params: Tensor;
  readonly grads: Tensor;
  readonly mask: Tensor;
  readonly total: number;
  private readonly entries = new Map<string, ParamEntry>();
  private readonly maskHost: Uint32Array;
  /** Floats [start, end) spanning every trainable parameter: the optimiser dispatch covers these. */
  trainableRange: [number, number] = [0, 0];

  constructor(
    readonly gpu: Gpu,
    specs: readonly ParamSpec[],
  ) {
    const offsets: number[] = [];
    let total = 0;
    const seen = new Set<string>();
    for (const s of specs) {
      if (seen.has(s.name)) throw new Error(`ParamArena: duplicate parameter ${s.name}`);
      seen.add(s.name);
      const n = numel(s.shape);
      if (s.init.length !== n) throw new RangeError(`ParamArena: ${s.name} has ${s.init.length} initial values for shape [${s.shape.join(', ')}]`);
      offsets.push(total);
      total += Math.ceil(Math.max(n, 1) / OPTIM_BLOCK) * OPTIM_BLOCK;
    }
    if (total * 4 > gpu.limits.maxBufferSize) {
      throw new RangeError(`ParamArena: ${total * 4} bytes of parameters exceed this adapter's maxBufferSize (${gpu.limits.maxBufferSize})`);
    }
    this.total = total;
    const host = new Float32Array(total);
    specs.forEach((s, i) => host.set(s.init, offsets[i]!));
    this.params = Tensor.fromArray(gpu, host, [total]);
    this.grads = Tensor.empty(gpu, [total]);
    fillTensor(this.grads, 0);
    this.maskHost = new Uint32Array(total / OPTIM_BLOCK);
    specs.forEach((s, i) => {
      const offset = offsets[i]!;
      const size = numel(s.shape);
      const param = Var.leaf(this.params.subView(offset * 4, s.shape), s.requiresGrad ?? true, s.name);
      const grad = this.grads.subView(offset * 4, s.shape);
      param.gradTarget = grad;
      this.entries.set(s.name, { name: s.name, shape: [...s.shape], offset, size, param, grad });
    });
    this.mask = Tensor.fromArray(gpu, this.buildMask(), [this.maskHost.length], 'u32');
  }

  get(name: string): ParamEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`ParamArena: no parameter named ${name}`);
    return e;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** Every parameter's entry, in registration order, which is arena order. */
  get entryList(): ParamEntry[] {
    return [...this.entries.values()];
  }

  /** All parameters as autograd leaves, in registration order. */
  get vars(): Var[] {
    return [...this.entries.values()].map((e) => e.param);
  }

  /**
   * Freezes or unfreezes parameters: a frozen one gets no gradient work (the ops skip its weight
   * gradient) and the optimiser leaves it, and its state, untouched.
   */
  setRequiresGrad(select: (name: string) => boolean, requiresGrad: boolean): void {
    let changed = false;
    for (const e of this.entries.values()) {
      if (select(e.name) && e.param.requiresGrad !== requiresGrad) {
        e.param.requiresGrad = requiresGrad;
        changed = true;
      }
    }
    if (changed) this.mask.write(this.buildMask());
  }

  get trainableCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.param.requiresGrad) n += e.size;
    return n;
  }

  /**
   * A new zero-filled buffer parallel to the parameters, for optimiser state. The optimiser owns
   * it (each optimiser starts from fresh state, as in torch) and releases it in destroy().
   */
  stateBuffer(): Tensor {
    const t = Tensor.empty(this.gpu, [this.total]);
    fillTensor(t, 0);
    return t;
  }

  /** Writes new values into one parameter (loading weights). */
  write(name: string, values: Float32Array): void {
    const e = this.get(name);
    if (values.length !== e.size) throw new RangeError(`ParamArena.write: ${name} needs ${e.size} values, got ${values.length}`);
    e.param.data.write(values);
  }

  destroy(): void {
    this.params.release();
    this.grads.release();
    this.mask.release();
  }

  private buildMask(): Uint32Array {
    this.maskHost.fill(0);
    let lo = this.total;
    let hi = 0;
    for (const e of this.entries.values()) {
      if (!e.param.requiresGrad) continue;
      const first = e.offset / OPTIM_BLOCK;
      const blocks = Math.ceil(Math.max(e.size, 1) / OPTIM_BLOCK);
      this.maskHost.fill(1, first, first + blocks);
      lo = Math.min(lo, first * OPTIM_BLOCK);
      hi = Math.max(hi, (first + blocks) * OPTIM_BLOCK);
    }
    this.trainableRange = lo < hi ? [lo, hi] : [0, 0];
    return this.maskHost;
  }
}
