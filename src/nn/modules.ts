// Modules: parameters and buffers with PyTorch's state_dict names, and a forward over the tape.
// Layouts (NCHW f32): x, y: (N, C, H, W); conv weight: (Cout, Cin, kh, kw); linear weight (out, in).
//
// Construction is two-phase: modules declare their parameters (name, shape, initial values) to a
// ModuleBuilder, which then lays all of them out in one ParamArena; each ParamSlot gets its
// arena-backed Var. Initialisation follows torchvision's ResNet: kaiming_normal (fan_out, relu) for
// convolutions, BatchNorm weight 1 and bias 0, nn.Linear's default uniform(+-1/sqrt(fan_in)).
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import type { Conv2dParams } from '../kernels/conv2d.js';
import type { MaxPool2dParams } from '../kernels/maxpool2d.js';
import { Rng } from '../reference/random.js';
import { ParamArena, type ParamSpec } from './arena.js';
import * as ops from './ops.js';
import type { Tape, Var } from './tape.js';

/** A parameter declared at construction; `var` is set when the arena is built. */
export class ParamSlot {
  private v: Var | null = null;
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
  ) {}
  get var(): Var {
    if (!this.v) throw new Error(`parameter ${this.name} used before its module's arena was built`);
    return this.v;
  }
  bind(v: Var): void {
    this.v = v;
  }
}

/** What state_dict lists, in PyTorch's order: parameters and buffers module by module. */
export type StateEntry =
  | { kind: 'param'; name: string; slot: ParamSlot }
  | { kind: 'buffer'; name: string; tensor: Tensor }
  | { kind: 'counter'; name: string; bn: BatchNorm2d };

export class ModuleBuilder {
  readonly entries: StateEntry[] = [];
  private readonly specs: ParamSpec[] = [];
  private readonly slots: ParamSlot[] = [];

  constructor(
    readonly gpu: Gpu,
    readonly rng: Rng,
  ) {}

  param(name: string, shape: readonly number[], init: Float32Array): ParamSlot {
    const slot = new ParamSlot(name, shape);
    this.specs.push({ name, shape, init });
    this.slots.push(slot);
    this.entries.push({ kind: 'param', name, slot });
    return slot;
  }

  buffer(name: string, values: Float32Array, shape: readonly number[]): Tensor {
    const t = Tensor.fromArray(this.gpu, values, shape);
    this.entries.push({ kind: 'buffer', name, tensor: t });
    return t;
  }

  counter(name: string, bn: BatchNorm2d): void {
    this.entries.push({ kind: 'counter', name, bn });
  }

  /** Lays every declared parameter out in one arena and binds the slots. */
  build(): ParamArena {
    const arena = new ParamArena(this.gpu, this.specs);
    for (const slot of this.slots) slot.bind(arena.get(slot.name).param);
    this.specs.length = 0;
    return arena;
  }
}

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

function normal(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

function uniform(rng: Rng, n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-bound, bound);
  return a;
}

export class Conv2d {
  readonly weight: ParamSlot;
  readonly bias: ParamSlot | null;
  readonly p: Conv2dParams;
  constructor(
    b: ModuleBuilder,
    prefix: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    o: { stride?: number; padding?: number; bias?: boolean } = {},
  ) {
    this.p = { stride: o.stride ?? 1, padding: o.padding ?? 0 };
    const fanOut = outChannels * kernel * kernel;
    const n = outChannels * inChannels * kernel * kernel;
    this.weight = b.param(join(prefix, 'weight'), [outChannels, inChannels, kernel, kernel], normal(b.rng, n, Math.sqrt(2 / fanOut)));
    const fanIn = inChannels * kernel * kernel;
    this.bias = o.bias ? b.param(join(prefix, 'bias'), [outChannels], uniform(b.rng, outChannels, 1 / Math.sqrt(fanIn))) : null;
  }
  forward(t: Tape, x: Var): Var {
    return ops.conv2d(t, x, this.weight.var, this.bias?.var ?? null, this.p);
  }
}

export class BatchNorm2d {
  readonly weight: ParamSlot;
  readonly bias: ParamSlot;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /** Train-mode forwards so far (PyTorch's num_batches_tracked, kept for state_dict only). */
  numBatchesTracked = 0;
  training = true;
  constructor(
    b: ModuleBuilder,
    prefix: string,
    readonly channels: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    this.weight = b.param(join(prefix, 'weight'), [channels], new Float32Array(channels).fill(1));
    this.bias = b.param(join(prefix, 'bias'), [channels], new Float32Array(channels));
    this.runningMean = b.buffer(join(prefix, 'running_mean'), new Float32Array(channels), [channels]);
    this.runningVar = b.buffer(join(prefix, 'running_var'), new Float32Array(channels).fill(1), [channels]);
    b.counter(join(prefix, 'num_batches_tracked'), this);
  }
  /** `relu` fuses the ReLU that follows (one kernel instead of two). */
  forward(t: Tape, x: Var, relu = false): Var {
    if (this.training) this.numBatchesTracked++;
    const state = { weight: this.weight.var, bias: this.bias.var, runningMean: this.runningMean, runningVar: this.runningVar, eps: this.eps, momentum: this.momentum };
    return ops.batchnorm(t, x, state, this.training, relu);
  }
}

export class ReLU {
  forward(t: Tape, x: Var): Var {
    return ops.relu(t, x);
  }
}

export class MaxPool2d {
  constructor(readonly p: MaxPool2dParams) {}
  forward(t: Tape, x: Var): Var {
    return ops.maxpool2d(t, x, this.p);
  }
}

/** AdaptiveAvgPool2d(1) followed by flatten: (N, C, H, W) -> (N, C). */
export class AdaptiveAvgPool2d {
  forward(t: Tape, x: Var): Var {
    return ops.globalAvgPool(t, x);
  }
}

export class Linear {
  readonly weight: ParamSlot;
  readonly bias: ParamSlot | null;
  constructor(
    b: ModuleBuilder,
    prefix: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    // kaiming_uniform(a = sqrt(5)) reduces to uniform(+-1/sqrt(fan_in)), as does the bias.
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = b.param(join(prefix, 'weight'), [outFeatures, inFeatures], uniform(b.rng, outFeatures * inFeatures, bound));
    this.bias = bias ? b.param(join(prefix, 'bias'), [outFeatures], uniform(b.rng, outFeatures, bound)) : null;
  }
  forward(t: Tape, x: Var): Var {
    return ops.linear(t, x, this.weight.var, this.bias?.var ?? null);
  }
}

/** torchvision's BasicBlock: conv3x3-bn-relu-conv3x3-bn, plus identity or (conv1x1-bn), then relu. */
export class BasicBlock {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: { conv: Conv2d; bn: BatchNorm2d } | null;
  constructor(b: ModuleBuilder, prefix: string, inPlanes: number, planes: number, stride: number) {
    this.conv1 = new Conv2d(b, join(prefix, 'conv1'), inPlanes, planes, 3, { stride, padding: 1 });
    this.bn1 = new BatchNorm2d(b, join(prefix, 'bn1'), planes);
    this.conv2 = new Conv2d(b, join(prefix, 'conv2'), planes, planes, 3, { stride: 1, padding: 1 });
    this.bn2 = new BatchNorm2d(b, join(prefix, 'bn2'), planes);
    this.downsample =
      stride !== 1 || inPlanes !== planes
        ? { conv: new Conv2d(b, join(prefix, 'downsample.0'), inPlanes, planes, 1, { stride }), bn: new BatchNorm2d(b, join(prefix, 'downsample.1'), planes) }
        : null;
  }

  get batchNorms(): BatchNorm2d[] {
    return [this.bn1, this.bn2, ...(this.downsample ? [this.downsample.bn] : [])];
  }

  /** Does not free x (the caller owns it); every intermediate is freed after its last use. */
  forward(t: Tape, x: Var): Var {
    const a = this.conv1.forward(t, x);
    const h = this.bn1.forward(t, a, true);
    a.free();
    const c = this.conv2.forward(t, h);
    h.free();
    const d = this.bn2.forward(t, c);
    c.free();
    let identity = x;
    if (this.downsample) {
      const e = this.downsample.conv.forward(t, x);
      identity = this.downsample.bn.forward(t, e);
      e.free();
    }
    const s = ops.add(t, d, identity);
    d.free();
    if (identity !== x) identity.free();
    const y = ops.relu(t, s);
    s.free();
    return y;
  }
}
