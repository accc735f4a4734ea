// ResNet18 with torchvision's exact topology and state_dict names.
// x: (N, 3, H, W) f32 normalised images; logits: (N, numClasses).
//
// conv1 7x7/2 - bn1 - relu - maxpool 3x3/2 - layer1..layer4 (two BasicBlocks each, widths
// w, 2w, 4w, 8w, stride 2 from layer2 on) - avgpool - fc. `width` 64 is torchvision's model; tests
// use narrower ones with the same topology. Head: 'replace' (default) makes fc a Linear(8w,
// numClasses); 'append' keeps the 1000-way fc (as loaded from ImageNet weights) and appends
// `head` = Linear(1000, numClasses), the variant the reference notebook trains.
import type { Gpu } from '../gpu/runtime.js';
import { Rng } from '../reference/random.js';
import type { ParamArena } from './arena.js';
import { AdaptiveAvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Linear, MaxPool2d, ModuleBuilder, type StateEntry } from './modules.js';
import { exportStateDict, importStateDict, type LoadOptions } from './state.js';
import type { Tape, Var } from './tape.js';
import type { MatchReport, StateDict } from './weights/state-dict.js';

export interface ResNet18Options {
  numClasses: number;
  /** Channels of layer1 (torchvision: 64). */
  width?: number;
  head?: 'replace' | 'append';
  /** Seed of the initialisation (src/reference/random.ts). */
  seed?: number;
}

export class ResNet18 {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly maxpool = new MaxPool2d({ kernel: 3, stride: 2, padding: 1 });
  readonly layers: BasicBlock[][];
  readonly avgpool = new AdaptiveAvgPool2d();
  readonly fc: Linear;
  readonly head: Linear | null;
  readonly arena: ParamArena;
  readonly entries: readonly StateEntry[];
  readonly numClasses: number;
  readonly width: number;
  private isTraining = true;

  constructor(
    readonly gpu: Gpu,
    o: ResNet18Options,
  ) {
    const w = o.width ?? 64;
    if (!(Number.isInteger(o.numClasses) && o.numClasses >= 1)) throw new RangeError(`ResNet18: numClasses must be a positive integer, got ${o.numClasses}`);
    if (!(Number.isInteger(w) && w >= 1)) throw new RangeError(`ResNet18: width must be a positive integer, got ${w}`);
    this.numClasses = o.numClasses;
    this.width = w;
    const b = new ModuleBuilder(gpu, new Rng(o.seed ?? 0));
    this.conv1 = new Conv2d(b, 'conv1', 3, w, 7, { stride: 2, padding: 3 });
    this.bn1 = new BatchNorm2d(b, 'bn1', w);
    let inPlanes = w;
    this.layers = [1, 2, 4, 8].map((mult, li) => {
      const planes = w * mult;
      const stride = li === 0 ? 1 : 2;
      const blocks = [new BasicBlock(b, `layer${li + 1}.0`, inPlanes, planes, stride), new BasicBlock(b, `layer${li + 1}.1`, planes, planes, 1)];
      inPlanes = planes;
      return blocks;
    });
    const append = o.head === 'append';
    this.fc = new Linear(b, 'fc', 8 * w, append ? 1000 : o.numClasses);
    this.head = append ? new Linear(b, 'head', 1000, o.numClasses) : null;
    this.entries = b.entries;
    this.arena = b.build();
  }

  get training(): boolean {
    return this.isTraining;
  }

  /** BatchNorm uses batch statistics and updates its running statistics. */
  train(): this {
    this.setTraining(true);
    return this;
  }

  /** BatchNorm uses its running statistics. */
  eval(): this {
    this.setTraining(false);
    return this;
  }

  get batchNorms(): BatchNorm2d[] {
    return [this.bn1, ...this.layers.flat().flatMap((blk) => blk.batchNorms)];
  }

  /** Parameters as autograd leaves, in state_dict order. */
  get parameters(): Var[] {
    return this.arena.vars;
  }

  /** Logits for x. Does not free x; the caller frees the result. */
  forward(t: Tape, x: Var): Var {
    const a = this.conv1.forward(t, x);
    const b = this.bn1.forward(t, a, true);
    a.free();
    let h = this.maxpool.forward(t, b);
    b.free();
    for (const block of this.layers.flat()) {
      const next = block.forward(t, h);
      h.free();
      h = next;
    }
    const pooled = this.avgpool.forward(t, h);
    h.free();
    let logits = this.fc.forward(t, pooled);
    pooled.free();
    if (this.head) {
      const out = this.head.forward(t, logits);
      logits.free();
      logits = out;
    }
    return logits;
  }

  /**
   * Freezes (or unfreezes) the parameters whose state_dict name the predicate selects, e.g.
   * `model.setRequiresGrad((n) => !n.startsWith('fc.'), false)` trains only the classifier.
   */
  setRequiresGrad(select: (name: string) => boolean, requiresGrad: boolean): void {
    this.arena.setRequiresGrad(select, requiresGrad);
  }

  /** Every parameter and buffer, PyTorch's names and order (reads back from the GPU). */
  stateDict(): Promise<StateDict> {
    return exportStateDict(this);
  }

  /** See importStateDict: strict by default; non-strict loads what matches and reports the rest. */
  loadStateDict(sd: StateDict, o: LoadOptions = {}): MatchReport {
    return importStateDict(this, sd, o);
  }

  destroy(): void {
    this.arena.destroy();
    for (const e of this.entries) if (e.kind === 'buffer') e.tensor.release();
  }

  private setTraining(on: boolean): void {
    this.isTraining = on;
    for (const bn of this.batchNorms) bn.training = on;
  }
}
