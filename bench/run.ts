// Runs the benchmark on one Gpu and returns its report (the JSON document): ceilings, the kernel
// lab at ResNet18's layer shapes, whole training/inference steps, PyTorch's step when asked.
import { cpus, loadavg } from 'node:os';
import type { Gpu } from '../src/gpu/runtime.js';
import { CONV2D_VARIANTS } from '../src/kernels/conv2d.js';
import { ceilingSizes, measureCeilings, type CeilingResult } from './ceilings.js';
import { kernelCases, NOT_YET_BENCHMARKED } from './cases/index.js';
import { chooseTiming, timeRuns, type KernelCase, type Timing, type TimingMethod, type Validation } from './harness.js';
import { resnet18Shapes, forwardMacsPerImage } from './shapes.js';
import { runStep, type StepKind, type StepResult } from './steps.js';
import { runTorchStep, type TorchResult } from './torch.js';

export const BENCH_SCHEMA = 'brainmri-bench/1';
export type CaseGroup = 'kernels' | 'train' | 'infer';

export interface BenchOptions {
  groups: readonly CaseGroup[];
  res: number;
  batch: number;
  warmup: number;
  repeats: number;
  /** Timed whole steps (after warm-up). */
  steps: number;
  quick: boolean;
  timing: 'auto' | 'gpu' | 'wall';
  /** Only kernel cases whose name contains one of these texts. */
  filter?: readonly string[];
  /** Width of the stepped model's layer1 (64: torchvision's ResNet18; narrower for smoke tests). */
  width: number;
  ceilings: boolean;
  /** Time conv2d with every GEMM engine, not only the adapter's default. */
  allVariants: boolean;
  /** The conv2d engine forced for the whole run (GpuOptions.conv2dVariant), if not the adapter's default. */
  convVariant?: string;
  /** Print every dispatch of the profiled step in order. */
  trace?: boolean;
  /** Time each step alone instead of pipelined (see StepOptions.serial). */
  serial?: boolean;
  /** See StepOptions.eagerOptimizer. */
  eagerOptimizer?: boolean;
  vsTorch: boolean;
  /** PyTorch CPU threads (default: as many as the machine has cores). */
  torchThreads?: number;
  /** Reference cost (multiply-adds) above which a case is validated at batch 1. */
  validateMacs: number;
  /** Probe sizes for the ceilings (default: by adapter, see ceilingSizes). */
  ceilingSizes?: { copyBytes: number; matmulSize: number };
  log: (line: string) => void;
}

export interface KernelResult {
  kind: 'kernel';
  name: string;
  op: string;
  layer: string;
  shape: string;
  count: number;
  flops: number;
  bytes: number;
  median_ms: number;
  min_ms: number;
  all_ms: number[];
  method: TimingMethod;
  dispatches: number;
  gflops: number;
  gbps: number;
  /** Percent of this run's measured ceilings (null without ceilings). */
  pct_flops: number | null;
  pct_bandwidth: number | null;
  validation: Validation & { batch: number };
  kernels?: Timing['kernels'];
}

export interface BenchReport {
  schema: string;
  date: string;
  adapter: {
    label: string;
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isSwiftShader: boolean;
    timestampQuery: boolean;
  };
  host: { node: string; platform: string; cpu: string; cpus: number; loadavg_start: number[]; loadavg_end: number[] };
  options: Omit<BenchOptions, 'log'>;
  model: { res: number; batch: number; params: number; forward_gflop_per_image: number; train_gflop_per_image: number };
  ceilings: CeilingResult | null;
  cases: KernelResult[];
  /** Ops of the engine the kernel lab has no case for yet. */
  not_benchmarked: string[];
  steps: StepResult[];
  torch: TorchResult[];
  /** False when a validation failed (the bench then exits non-zero). */
  ok: boolean;
  wall_s: number;
}

const round = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);

/** Validates one case once (at batch 1 when its reference is too costly), then times it. */
export async function benchKernelCase(
  gpu: Gpu,
  c: KernelCase,
  opts: Pick<BenchOptions, 'warmup' | 'repeats' | 'validateMacs' | 'batch'> & { method: TimingMethod },
  ceil: CeilingResult | null,
): Promise<KernelResult> {
  const useSmall = c.referenceMacs > opts.validateMacs && c.atBatch !== undefined && opts.batch > 1;
  let v: Validation | undefined;
  if (useSmall) {
    const small = c.atBatch!(1).setup(gpu);
    try {
      v = await small.validate();
    } finally {
      small.release();
    }
  }
  const prepared = c.setup(gpu);
  let timing: Timing;
  try {
    if (!v) v = await prepared.validate();
    // The validation run at full size already compiled the pipeline and filled the pool: it
    // counts as the first warm-up run.
    const warmup = Math.max(0, opts.warmup - (useSmall ? 0 : 1));
    timing = await timeRuns(gpu, () => prepared.record(), { warmup, repeats: opts.repeats, method: opts.method });
    // A kernel shorter than the timestamps' resolution reads 0 ms (SwiftShader ticks in tens of
    // microseconds): time it by synchronised wall time instead, which includes the submit.
    if (timing.median_ms === 0) timing = await timeRuns(gpu, () => prepared.record(), { warmup: 0, repeats: opts.repeats, method: 'wall-sync' });
  } finally {
    prepared.release();
  }
  const gflops = c.flops / (timing.median_ms * 1e6);
  const gbps = c.bytes / (timing.median_ms * 1e6);
  return {
    kind: 'kernel',
    name: c.name,
    op: c.op,
    layer: c.layer,
    shape: c.shape,
    count: c.count,
    flops: c.flops,
    bytes: c.bytes,
    median_ms: round(timing.median_ms),
    min_ms: round(timing.min_ms),
    all_ms: timing.all_ms.map((x) => round(x)),
    method: timing.method,
    dispatches: timing.dispatches,
    gflops: round(gflops),
    gbps: round(gbps),
    pct_flops: ceil && Number.isFinite(ceil.gflops) ? round((100 * gflops) / ceil.gflops, 3) : null,
    pct_bandwidth: ceil ? round((100 * gbps) / ceil.bandwidth_GBps, 3) : null,
    validation: { ...v, maxRelErr: round(v.maxRelErr, 3), batch: useSmall ? 1 : opts.batch },
    ...(timing.kernels && timing.kernels.length > 1 ? { kernels: timing.kernels.map((k) => ({ name: k.name, ms: round(k.ms) })) } : {}),
  };
}

export async function runBench(gpu: Gpu, opts: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const loadStart = loadavg().map((x) => round(x, 3));
  const shapes = resnet18Shapes(opts.res, opts.batch);
  const last = shapes.avgpool;
  if (last.n * last.h * last.w < 2) {
    throw new RangeError(
      `batch ${opts.batch} at res ${opts.res} leaves layer4 at ${last.h}x${last.w}: training-mode BatchNorm needs more than one value per channel (so does PyTorch); use --batch 2 or more, or --res 64 or more`,
    );
  }
  const method = chooseTiming(gpu, opts.timing);
  const fwdMacs = forwardMacsPerImage(shapes);
  const { log, ...options } = opts;
  const report: BenchReport = {
    schema: BENCH_SCHEMA,
    date: new Date().toISOString(),
    adapter: {
      label: gpu.adapter.label,
      vendor: gpu.adapter.vendor,
      architecture: gpu.adapter.architecture,
      device: gpu.adapter.device,
      description: gpu.adapter.description,
      isSwiftShader: gpu.adapter.isSwiftShader,
      timestampQuery: gpu.hasTimestamps,
    },
    host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, loadavg_start: loadStart, loadavg_end: [] },
    options,
    model: {
      res: opts.res,
      batch: opts.batch,
      params: shapes.params,
      forward_gflop_per_image: round((2 * fwdMacs) / 1e9),
      // Backward costs two forwards (input and weight gradients) for the convolutions and linear.
      train_gflop_per_image: round((6 * fwdMacs) / 1e9),
    },
    ceilings: null,
    cases: [],
    not_benchmarked: [...NOT_YET_BENCHMARKED],
    steps: [],
    torch: [],
    ok: true,
    wall_s: 0,
  };

  // Whole steps first, so their first step compiles its pipelines from scratch (the kernel lab
  // would otherwise have compiled most of them already).
  for (const kind of ['train', 'infer'] as const satisfies readonly StepKind[]) {
    if (!opts.groups.includes(kind)) continue;
    log(`step ${kind} res ${opts.res} batch ${opts.batch} ...`);
    const step = await runStep(gpu, kind, { res: opts.res, batch: opts.batch, warmup: opts.warmup, steps: opts.steps, profile: !opts.quick, trace: opts.trace, serial: opts.serial, eagerOptimizer: opts.eagerOptimizer, width: opts.width, log });
    report.steps.push(step);
    if (step.available && step.ok === false) report.ok = false;
    if (opts.vsTorch && opts.width !== 64) {
      report.torch.push({ kind: 'torch', name: `torch.resnet18.${kind}`, available: false, note: `torchvision's ResNet18 has width 64, not ${opts.width}`, res: opts.res, batch: opts.batch, median_ms: null });
    } else if (opts.vsTorch) {
      log(`torch ${kind} res ${opts.res} batch ${opts.batch} ...`);
      const torch = await runTorchStep(kind, { res: opts.res, batch: opts.batch, warmup: opts.warmup, steps: opts.steps, cuda: !gpu.adapter.isSwiftShader,
        // On the CPU, as many threads as SwiftShader has cores (both use the whole machine).
        threads: opts.torchThreads ?? (gpu.adapter.isSwiftShader ? cpus().length : 0),
      });
      if (torch.available && step.available && step.median_ms !== null && torch.median_ms !== null) {
        torch.engine_over_torch = round(step.median_ms / torch.median_ms, 3);
      }
      report.torch.push(torch);
    }
  }

  if (opts.groups.includes('kernels')) {
    if (opts.ceilings) {
      const sizes = opts.ceilingSizes ?? ceilingSizes(gpu, opts.quick);
      log(`ceilings: copy ${sizes.copyBytes >> 20} MiB, matmul ${sizes.matmulSize}^3 ...`);
      report.ceilings = await measureCeilings(gpu, { ...sizes, repeats: opts.repeats, method });
      if (report.ceilings.matmul.some((m) => !m.ok)) report.ok = false;
      log(`ceilings: ${round(report.ceilings.bandwidth_GBps, 3)} GB/s copy, ${round(report.ceilings.gflops, 3)} GFLOP/s matmul`);
    }
    const cases = kernelCases(shapes, opts.allVariants ? CONV2D_VARIANTS : undefined).filter((c) => !opts.filter?.length || opts.filter.some((f) => c.name.includes(f)));
    for (const c of cases) {
      log(`kernel ${c.name} ${c.shape} ...`);
      const result = await benchKernelCase(gpu, c, { ...opts, method }, report.ceilings);
      if (!result.validation.ok) {
        report.ok = false;
        log(`  CHECK FAILED: ${c.name}: relative error ${result.validation.maxRelErr} over ${result.validation.tolerance} (${result.validation.compared})`);
      }
      report.cases.push(result);
    }
  }

  report.host.loadavg_end = loadavg().map((x) => round(x, 3));
  report.wall_s = round((performance.now() - started) / 1000, 3);
  return report;
}
