// Whole ResNet18 steps: training (forward, loss, backward, Adadelta) and inference, timed as the
// engine runs them. The first step (pipeline compilation, first buffer allocations) is reported
// apart from the steady-state median. As the trainer does, step i+1 is recorded and submitted
// before step i's result is read back (its copy is part of its own work), so the device does not
// wait while the CPU records: ms/step is the time between successive steps' results. `serial`
// times the other way (record, submit, wait, read: the latency of one step on its own).
import type { Gpu } from '../src/gpu/runtime.js';
import { Tensor, type PendingArray } from '../src/gpu/tensor.js';
import { Adadelta } from '../src/nn/optim.js';
import { ResNet18 } from '../src/nn/resnet.js';
import { forward, trainStep } from '../src/nn/train.js';
import { Rng } from '../src/reference/random.js';

export type StepKind = 'train' | 'infer';

export interface StepOptions {
  res: number;
  batch: number;
  warmup: number;
  steps: number;
  /** Run one extra step under GPU timestamps to list the kernels that take the most time. */
  profile: boolean;
  /** With profile: every dispatch of that step, in order, to `log` (kernel name, ms). */
  trace?: boolean;
  /** Channels of layer1: 64 is torchvision's ResNet18; narrower keeps the topology (tests). */
  width: number;
  /** Wait for each step before recording the next (no step in flight while recording). */
  serial?: boolean;
  /** Adadelta without deferred zero-gradient decays (Adadelta.deferZeros false). */
  eagerOptimizer?: boolean;
  log: (line: string) => void;
}

export interface StepResult {
  kind: 'step';
  name: string;
  available: boolean;
  /** Channels of layer1 (64: torchvision's ResNet18). */
  width?: number;
  /** Why the case did not run, when it did not. */
  note?: string;
  res: number;
  batch: number;
  median_ms: number | null;
  /** How the steps were timed: 'pipelined' (the next step recorded while one runs, as the trainer does) or 'serial'. */
  timing?: 'pipelined' | 'serial';
  min_ms?: number;
  /** Mean of the timed steps: unlike the median it carries work done every few steps (Adadelta's deferred decays, every 32). */
  mean_ms?: number;
  all_ms?: number[];
  /** Adadelta ran without deferring known-zero gradients (--eager-optimizer). */
  eager_optimizer?: boolean;
  first_step_ms?: number;
  /** Median time the CPU spends recording a step (autograd, kernel choice, encoding) before submit. */
  record_ms?: number;
  /** Sum of the kernels' own times in the profiled step (GPU timestamps); the rest of the step is recording and submission. */
  kernels_ms?: number;
  img_s?: number;
  /** Highest bytes the buffer pool held live during the measured steps. */
  peak_pool_bytes?: number;
  dispatches_per_step?: number;
  submits_per_step?: number;
  pipelines_compiled?: number;
  /** Loss of the first and last step (training), to show the step does real work. */
  loss_first?: number;
  loss_last?: number;
  ok?: boolean;
  /** The kernels that take the most time in one step (GPU timestamps), ms summed per name. */
  top_kernels?: { name: string; ms: number; count: number }[];
}

const NUM_CLASSES = 15;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A fixed synthetic batch: normal pixels (seeded), labels spread over the classes. */
function syntheticBatch(gpu: Gpu, res: number, batch: number): { images: Tensor; labels: Tensor } {
  const rng = new Rng(20261126);
  const pixels = new Float32Array(batch * 3 * res * res);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.normal();
  const labels = Array.from({ length: batch }, (_, i) => (i * 5) % NUM_CLASSES);
  return { images: Tensor.fromArray(gpu, pixels, [batch, 3, res, res]), labels: Tensor.fromArray(gpu, labels, [batch], 'i32') };
}

/**
 * One step as the engine runs it: everything recorded into one encoder, one submit, then a wait
 * for the GPU (the measured time covers recording, submit and execution). Returns the loss tensor
 * (training) or the logits (inference); the caller releases it.
 */
function recordStep(kind: StepKind, model: ResNet18, optimizer: Adadelta, images: Tensor, labels: Tensor): Tensor {
  return kind === 'train' ? trainStep(model, optimizer, images, labels) : forward(model, images);
}

async function readScalar(t: Tensor): Promise<number> {
  return (await t.toFloat32())[0]!;
}

export async function runStep(gpu: Gpu, kind: StepKind, opts: StepOptions): Promise<StepResult> {
  const name = opts.width === 64 ? `resnet18.${kind}` : `resnet18-w${opts.width}.${kind}`;
  const result: StepResult = { kind: 'step', name, available: true, width: opts.width, res: opts.res, batch: opts.batch, median_ms: null };
  await gpu.sync();
  gpu.pool.resetPeak();
  const model = new ResNet18(gpu, { numClasses: NUM_CLASSES, seed: 1, width: opts.width });
  if (kind === 'train') model.train();
  else model.eval();
  const optimizer = new Adadelta(model.arena, { deferZeros: !opts.eagerOptimizer });
  const { images, labels } = syntheticBatch(gpu, opts.res, opts.batch);
  try {
    // First step: compiles the pipelines this step needs and fills the pool.
    const compiledBefore = gpu.pipelineCompileCount;
    let t0 = performance.now();
    let out = recordStep(kind, model, optimizer, images, labels);
    gpu.submit();
    await gpu.sync();
    result.first_step_ms = performance.now() - t0;
    result.pipelines_compiled = gpu.pipelineCompileCount - compiledBefore;
    if (kind === 'train') result.loss_first = await readScalar(out);
    out.release();
    for (let i = 1; i < opts.warmup; i++) {
      recordStep(kind, model, optimizer, images, labels).release();
      await gpu.sync();
    }

    const all: number[] = [];
    const recording: number[] = [];
    const before = { ...gpu.counters };
    let last: Float32Array | Int32Array | Uint32Array | null = null;
    if (opts.serial) {
      for (let i = 0; i < opts.steps; i++) {
        t0 = performance.now();
        out = recordStep(kind, model, optimizer, images, labels);
        const pending = out.readAfterStep();
        out.release();
        recording.push(performance.now() - t0);
        gpu.submit();
        last = await pending.result();
        all.push(performance.now() - t0);
      }
    } else {
      let inFlight: PendingArray | null = null;
      let previousDone = performance.now();
      for (let i = 0; i <= opts.steps; i++) {
        const previous = inFlight;
        inFlight = null;
        if (i < opts.steps) {
          const r0 = performance.now();
          out = recordStep(kind, model, optimizer, images, labels);
          inFlight = out.readAfterStep();
          out.release();
          recording.push(performance.now() - r0);
          gpu.submit();
        }
        if (previous) {
          last = await previous.result();
          const now = performance.now();
          all.push(now - previousDone);
          previousDone = now;
        }
      }
    }
    result.timing = opts.serial ? 'serial' : 'pipelined';
    result.dispatches_per_step = (gpu.counters.dispatches - before.dispatches) / opts.steps;
    result.submits_per_step = (gpu.counters.submits - before.submits) / opts.steps;
    if (kind === 'train') {
      result.loss_last = last![0]!;
      result.ok = Number.isFinite(result.loss_first) && Number.isFinite(result.loss_last);
    } else {
      const logits = last!;
      result.ok = logits.length === opts.batch * NUM_CLASSES && logits.every(Number.isFinite);
    }
    const r4 = (x: number): number => Number(x.toPrecision(4));
    result.first_step_ms = r4(result.first_step_ms);
    result.median_ms = r4(median(all));
    result.record_ms = r4(median(recording));
    result.min_ms = r4(Math.min(...all));
    result.mean_ms = r4(all.reduce((a, b) => a + b, 0) / all.length);
    if (opts.eagerOptimizer) result.eager_optimizer = true;
    result.all_ms = all.map(r4);
    result.img_s = r4((opts.batch * 1000) / result.median_ms);
    result.peak_pool_bytes = gpu.pool.stats().peakLiveBytes;

    // One more step under GPU timestamps: where the step's time goes, per kernel name.
    if (opts.profile && gpu.setProfiling(true)) {
      try {
        recordStep(kind, model, optimizer, images, labels).release();
        const entries = await gpu.takeProfile();
        result.kernels_ms = Number(entries.reduce((sum, e) => sum + e.ms, 0).toPrecision(4));
        if (opts.trace) entries.forEach((e, i) => opts.log(`  trace ${String(i + 1).padStart(4)} ${e.name} ${e.ms.toFixed(2)} ms`));
        const byName = new Map<string, { ms: number; count: number }>();
        for (const e of entries) {
          const k = byName.get(e.name) ?? { ms: 0, count: 0 };
          k.ms += e.ms;
          k.count++;
          byName.set(e.name, k);
        }
        result.top_kernels = [...byName]
          .map(([name, k]) => ({ name, ms: Number(k.ms.toPrecision(4)), count: k.count }))
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 8);
      } finally {
        gpu.setProfiling(false);
      }
    }
    await gpu.throwPendingErrors();
  } finally {
    images.release();
    labels.release();
    optimizer.destroy();
    model.destroy();
    await gpu.sync();
  }
  return result;
}
