// The kernel lab's machinery: a case is set up once, validated once against its float64
// reference, then timed (median of N after warm-up) by GPU timestamps or synchronised wall time.
import type { Gpu } from '../src/gpu/runtime.js';

export type TimingMethod = 'gpu-timestamps' | 'wall-sync';

export interface Validation {
  /** max|gpu - ref| / max|ref| over every output the case compares (see the op's note). */
  maxRelErr: number;
  tolerance: number;
  ok: boolean;
  /** What was compared, e.g. "y" or "dx, dw at batch 1 (reference cost)". */
  compared: string;
}

/** One case, set up on the GPU: `record` records one run's dispatches (no submit). */
export interface PreparedCase {
  record(): void;
  /** Runs the case once and compares with the float64 reference. */
  validate(): Promise<Validation>;
  release(): void;
}

export interface KernelCase {
  /** Unique, e.g. "conv2d.forward layer2.0.conv1". */
  name: string;
  /** The op and pass, e.g. "conv2d.forward". */
  op: string;
  /** The ResNet18 layer the shape comes from. */
  layer: string;
  /** Human shape line, e.g. "x[8,64,16,16] w[128,64,3,3] s2 p1". */
  shape: string;
  /** Occurrences of this shape in one ResNet18 step. */
  count: number;
  /** Floating-point operations of one run (a multiply-add counts 2). */
  flops: number;
  /** Bytes one run must move at least: every input read once, every output written once. */
  bytes: number;
  /** Multiply-adds the float64 reference needs for this shape (decides whether it runs at full batch). */
  referenceMacs: number;
  setup(gpu: Gpu): PreparedCase;
  /**
   * The same case at a smaller batch, used for validation when the reference at full size would
   * take too long (referenceMacs over the budget).
   */
  atBatch?(n: number): KernelCase;
}

export interface TimingOptions {
  warmup: number;
  repeats: number;
  method: TimingMethod;
}

export interface Timing {
  method: TimingMethod;
  median_ms: number;
  min_ms: number;
  all_ms: number[];
  /** Dispatches one run records. */
  dispatches: number;
  /** Kernel names with their median ms in one run (GPU timestamps only). */
  kernels?: { name: string; ms: number }[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`validation: ${actual.length} values against ${expected.length} expected`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    if (!Number.isFinite(a)) return Infinity;
    maxDiff = Math.max(maxDiff, Math.abs(a - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxDiff / Math.max(1e-12, maxRef);
}

/** Combines per-output comparisons into one validation (the worst error decides). */
export function validation(errors: Record<string, number>, tolerance: number, note = ''): Validation {
  const names = Object.keys(errors);
  const maxRelErr = Math.max(...names.map((n) => errors[n]!));
  return { maxRelErr, tolerance, ok: maxRelErr <= tolerance, compared: names.join(', ') + (note ? ` ${note}` : '') };
}

/** Times `record` after warm-up: one run per measurement, each synchronised or timestamped. */
export async function timeRuns(gpu: Gpu, record: () => void, opts: TimingOptions): Promise<Timing> {
  for (let i = 0; i < opts.warmup; i++) {
    record();
    await gpu.sync();
  }
  const all: number[] = [];
  let dispatches = 0;
  const perKernel = new Map<string, number[]>();
  for (let r = 0; r < opts.repeats; r++) {
    const before = gpu.counters.dispatches;
    if (opts.method === 'gpu-timestamps') {
      gpu.setProfiling(true);
      try {
        record();
        const entries = await gpu.takeProfile();
        await gpu.throwPendingErrors();
        all.push(entries.reduce((s, e) => s + e.ms, 0));
        const byName = new Map<string, number>();
        for (const e of entries) byName.set(e.name, (byName.get(e.name) ?? 0) + e.ms);
        for (const [name, ms] of byName) {
          let list = perKernel.get(name);
          if (!list) perKernel.set(name, (list = []));
          list.push(ms);
        }
      } finally {
        gpu.setProfiling(false);
      }
    } else {
      const t0 = performance.now();
      record();
      await gpu.sync();
      all.push(performance.now() - t0);
    }
    dispatches = gpu.counters.dispatches - before;
  }
  const timing: Timing = { method: opts.method, median_ms: median(all), min_ms: Math.min(...all), all_ms: all, dispatches };
  if (perKernel.size > 0) timing.kernels = [...perKernel].map(([name, list]) => ({ name, ms: median(list) }));
  return timing;
}

/** The timing method to use: GPU timestamps when the adapter has them, unless told otherwise. */
export function chooseTiming(gpu: Gpu, wanted: 'auto' | 'gpu' | 'wall'): TimingMethod {
  if (wanted === 'wall') return 'wall-sync';
  if (gpu.hasTimestamps) return 'gpu-timestamps';
  if (wanted === 'gpu') throw new Error('--timing gpu: this adapter has no timestamp-query feature');
  return 'wall-sync';
}
