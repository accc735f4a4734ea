// Optimiser updates, each one fused dispatch over a whole parameter arena (src/nn/arena.ts).
// params, grads, state: (n) f32 flat, n a multiple of 64, element i of each is the same scalar
// parameter. mask: (n / 64) u32, one per 64-float (256-byte) block, nonzero = trainable.
// Hyper-parameters travel as uniforms, so changing the learning rate compiles nothing; 1 - rho and
// the like are formed in f64 on the host and rounded once, as torch does (in f32, 1 - 0.999f is
// off by 1.3e-5 relative).
import { kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import adadeltaSource from '../../shaders/adadelta.wgsl';
import adadeltaRunsSource from '../../shaders/adadelta_runs.wgsl';
import adadeltaDecaySource from '../../shaders/adadelta_decay.wgsl';
import sgdSource from '../../shaders/sgd.wgsl';
import adamwSource from '../../shaders/adamw.wgsl';
import arenaLib from '../../shaders/lib/optim_arena.wgsl';
import adadeltaStepLib from '../../shaders/lib/adadelta_step.wgsl';
import runsLib from '../../shaders/lib/optim_runs.wgsl';
import { packUniforms } from './elementwise.js';

const LIB = { optim_arena: arenaLib, adadelta_step: adadeltaStepLib, optim_runs: runsLib };
const ADADELTA = kernelWithIncludes({ name: 'optim.adadelta', source: adadeltaSource }, LIB);
const ADADELTA_RUNS = kernelWithIncludes({ name: 'optim.adadelta_runs', source: adadeltaRunsSource }, LIB);
const ADADELTA_DECAY = kernelWithIncludes({ name: 'optim.adadelta_decay', source: adadeltaDecaySource }, LIB);
const SGD = kernelWithIncludes({ name: 'optim.sgd', source: sgdSource }, LIB);
const ADAMW = kernelWithIncludes({ name: 'optim.adamw', source: adamwSource }, LIB);

/** Floats per mask block: one parameter view starts on every 256-byte boundary at most. */
export const OPTIM_BLOCK = 64;

export interface ArenaBuffers {
  params: Tensor;
  grads: Tensor;
  mask: Tensor;
  /**
   * Floats [start, end) that hold every trainable block (multiples of 64); the dispatch covers
   * only these, so training just the classifier does not sweep the frozen backbone. Default: all.
   */
  range?: readonly [number, number];
}

export interface AdadeltaHyper {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
}
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

function checkArena(op: string, a: ArenaBuffers, state: readonly Tensor[]): number {
  const n = a.params.size;
  if (n % OPTIM_BLOCK !== 0) throw new RangeError(`${op}: arena of ${n} floats is not a multiple of ${OPTIM_BLOCK}`);
  for (const t of [a.grads, ...state]) {
    if (t.size !== n) throw new RangeError(`${op}: arena tensors differ in size (${n} vs ${t.size})`);
  }
  if (a.mask.size !== n / OPTIM_BLOCK || a.mask.dtype !== 'u32') {
    throw new RangeError(`${op}: mask must be u32 with ${n / OPTIM_BLOCK} blocks, got ${a.mask.dtype} (${a.mask.size})`);
  }
  return n;
}

/**
 * Splits the arena into chunks that fit one storage binding (whole 64-float blocks, so chunk
 * offsets stay 256-byte aligned) and dispatches `kernel` once per chunk; one chunk in practice.
 */
function dispatchChunks(
  gpu: Gpu, kernel: Kernel, op: string, a: ArenaBuffers, state: readonly Tensor[], tail: ArrayBuffer, unusedState?: Tensor,
): void {
  const n = checkArena(op, a, state);
  const [first, end] = a.range ?? [0, n];
  if (first % OPTIM_BLOCK !== 0 || end % OPTIM_BLOCK !== 0 || first < 0 || end > n || first > end) {
    throw new RangeError(`${op}: range [${first}, ${end}) must be whole 64-float blocks within the arena of ${n}`);
  }
  const chunk = Math.floor(gpu.limits.maxBindingBytes / 4 / OPTIM_BLOCK) * OPTIM_BLOCK;
  const tailWords = tail.byteLength / 4;
  for (let start = first; start < end; start += chunk) {
    const count = Math.min(chunk, end - start);
    const u = new ArrayBuffer(8 + tail.byteLength);
    new Uint32Array(u, 0, 2).set([count / 4, start / OPTIM_BLOCK]);
    new Uint32Array(u, 8, tailWords).set(new Uint32Array(tail));
    const range = (t: Tensor) => ({ buffer: t.buffer, offset: t.offset + start * 4, size: count * 4 });
    gpu.dispatch(kernel, {
      uniforms: u,
      buffers: [range(a.params), range(a.grads), ...state.map(range), ...(unusedState ? [unusedState.binding] : []), a.mask.binding],
      workgroups: Math.ceil(count / 4 / 256),
    });
  }
}

function f32Words(values: number[]): ArrayBuffer {
  return new Float32Array(values).buffer;
}

/** torch.optim.Adadelta step. state: squareAvg (v) and accDelta (u), zero before the first step. */
export function adadeltaUpdate(gpu: Gpu, a: ArenaBuffers, state: { squareAvg: Tensor; accDelta: Tensor }, h: AdadeltaHyper): void {
  dispatchChunks(gpu, ADADELTA, 'adadelta', a, [state.squareAvg, state.accDelta], f32Words([h.lr, h.rho, 1 - h.rho, h.eps, h.weightDecay]));
}

/**
 * A strided part of one parameter: the elements offset + r * period + first + t of the arena, for
 * r < rows and t < count. offset: the parameter's arena offset (a multiple of 64 floats).
 */
export interface ArenaRun {
  offset: number;
  rows: number;
  period: number;
  first: number;
  count: number;
}

/** Rows per workgroup of the run kernels: 256 invocations of four rows (lib/optim_runs.wgsl). */
const RUN_ROWS_PER_WORKGROUP = 1024;

/** Floats a run's bindings cover (its rows, to the next 64-float block). */
function runSpan(rows: number, period: number): number {
  return Math.ceil((rows * period) / OPTIM_BLOCK) * OPTIM_BLOCK;
}

/** Why the device cannot take a run of `rows` rows of `period` in one dispatch, or null. */
function runLimit(gpu: Gpu, rows: number, period: number): string | null {
  const bytes = runSpan(rows, period) * 4;
  if (bytes > gpu.limits.maxBindingBytes) return `${bytes} bytes exceed the storage binding limit (${gpu.limits.maxBindingBytes})`;
  const max = gpu.limits.maxWorkgroupsPerDimension;
  if (Math.ceil(rows / RUN_ROWS_PER_WORKGROUP) > max || period > max) return `${rows} rows of ${period} exceed ${max} workgroups per dimension`;
  return null;
}

/** Whether adadeltaUpdateRun / adadeltaDecayRun can take a run of `rows` rows of `period`. */
export function runFits(gpu: Gpu, rows: number, period: number): boolean {
  return runLimit(gpu, rows, period) === null;
}

/** Checks `run` against an arena of n floats and the device; returns the floats its bindings cover. */
function checkRun(gpu: Gpu, n: number, run: ArenaRun): number {
  const { offset, rows, period, first, count } = run;
  for (const [k, x] of Object.entries(run)) {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`adadelta: ${k} must be a non-negative integer, got ${x}`);
  }
  if (offset % OPTIM_BLOCK !== 0) throw new RangeError(`adadelta: offset ${offset} is not on a ${OPTIM_BLOCK}-float block`);
  if (period < 1 || first + count > period) throw new RangeError(`adadelta: run [${first}, ${first + count}) does not fit the period ${period}`);
  const span = runSpan(rows, period);
  if (offset + span > n) throw new RangeError(`adadelta: ${rows} rows of ${period} at ${offset} overrun the arena of ${n}`);
  const limit = runLimit(gpu, rows, period);
  if (limit) throw new RangeError(`adadelta: ${limit}`);
  return span;
}

/** Records `kernel` over a checked run: the run kernels' uniforms (lib/optim_runs.wgsl), `tensors` bound at the run's parameter. */
function dispatchRun(gpu: Gpu, kernel: Kernel, run: ArenaRun, span: number, tensors: readonly Tensor[], steps: number, h: AdadeltaHyper): void {
  if (run.rows === 0 || run.count === 0) return;
  gpu.dispatch(kernel, {
    uniforms: packUniforms([run.rows, run.period, run.first, steps], [h.lr, h.rho, 1 - h.rho, h.eps, h.weightDecay, 0, 0, 0]),
    buffers: tensors.map((t) => ({ buffer: t.buffer, offset: t.offset + run.offset * 4, size: span * 4 })),
    workgroups: [Math.ceil(run.rows / RUN_ROWS_PER_WORKGROUP), run.count],
  });
}

/**
 * The Adadelta step of one run of elements (the live taps of a weight whose other taps have a
 * zero gradient): the same arithmetic as adadeltaUpdate, element for element.
 */
export function adadeltaUpdateRun(gpu: Gpu, a: ArenaBuffers, state: { squareAvg: Tensor; accDelta: Tensor }, h: AdadeltaHyper, run: ArenaRun): void {
  const span = checkRun(gpu, checkArena('adadelta', a, [state.squareAvg, state.accDelta]), run);
  dispatchRun(gpu, ADADELTA_RUNS, run, span, [a.params, a.grads, state.squareAvg, state.accDelta], 0, h);
}

/**
 * `steps` Adadelta steps (rho each) of a run of elements whose gradient was zero in every one of
 * them, with no weight decay: the parameter stays, both accumulators are multiplied by rho once
 * per step, in order, so the floats are those of the steps run one by one.
 */
export function adadeltaDecayRun(gpu: Gpu, state: { squareAvg: Tensor; accDelta: Tensor }, rho: number, steps: number, run: ArenaRun): void {
  if (state.squareAvg.size !== state.accDelta.size) throw new RangeError('adadelta: state tensors differ in size');
  if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`adadelta: steps must be a non-negative integer, got ${steps}`);
  const span = checkRun(gpu, state.squareAvg.size, run);
  if (steps === 0) return;
  dispatchRun(gpu, ADADELTA_DECAY, run, span, [state.squareAvg, state.accDelta], steps, { lr: 0, rho, eps: 0, weightDecay: 0 });
}

/**
 * torch.optim.SGD step. `first` is true on the optimiser's first step (torch initialises the
 * momentum buffer to the gradient then). momentumBuffer may be null when momentum is 0.
 */
export function sgdUpdate(gpu: Gpu, a: ArenaBuffers, state: { momentumBuffer: Tensor | null }, h: SgdHyper & { first: boolean }): void {
  if (h.momentum !== 0 && !state.momentumBuffer) throw new RangeError('sgd: momentum needs a momentum buffer');
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) throw new RangeError('sgd: nesterov needs momentum > 0 and dampening 0');
  const tail = new ArrayBuffer(24);
  new Float32Array(tail, 0, 4).set([h.lr, h.momentum, 1 - h.dampening, h.weightDecay]);
  new Uint32Array(tail, 16, 2).set([h.nesterov ? 1 : 0, h.first ? 1 : 0]);
  if (state.momentumBuffer) {
    dispatchChunks(gpu, SGD, 'sgd', a, [state.momentumBuffer], tail);
  } else {
    // Without momentum the shader never touches the buffer; bind a small placeholder (a binding
    // may not alias a written one). Released at once: nothing ever reads or writes it.
    const placeholder = Tensor.empty(gpu, [4]);
    dispatchChunks(gpu, SGD, 'sgd', a, [], tail, placeholder);
    placeholder.release();
  }
}

/** torch.optim.AdamW step number `step` (1-based). state: expAvg (m), expAvgSq (v), zero at start. */
export function adamwUpdate(gpu: Gpu, a: ArenaBuffers, state: { expAvg: Tensor; expAvgSq: Tensor }, h: AdamWHyper & { step: number }): void {
  if (!(h.step >= 1)) throw new RangeError(`adamw: step must be >= 1, got ${h.step}`);
  // Bias corrections in float64 on the host, as torch computes them in Python floats.
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  dispatchChunks(
    gpu, ADAMW, 'adamw', a, [state.expAvg, state.expAvgSq],
    f32Words([h.lr, h.beta1, h.beta2, 1 - h.beta1, 1 - h.beta2, h.eps, 1 - h.lr * h.weightDecay, h.lr / bc1, 1 / Math.sqrt(bc2)]),
  );
}
