// Builds kernel-lab cases from a declaration: host inputs (seeded), the wrapper call, the float64
// reference. Every case is validated once with NaN-poisoned outputs, then timed.
import type { Gpu } from '../../src/gpu/runtime.js';
import { Tensor, type DType } from '../../src/gpu/tensor.js';
import { Rng } from '../../src/reference/random.js';
import { relError, validation, type KernelCase, type PreparedCase, type Validation } from '../harness.js';

export interface HostTensor {
  data: Float64Array;
  shape: readonly number[];
  dtype?: DType;
}

export interface CaseSpec<I extends string> {
  op: string;
  layer: string;
  shape: string;
  count: number;
  flops: number;
  bytes: number;
  referenceMacs: number;
  /** Relative tolerance, with the reason next to the declaration. */
  tolerance: number;
  /** Host inputs, drawn from `rng` (the same seed on every run). */
  inputs(rng: Rng): Record<I, HostTensor>;
  /**
   * Records one run. Returns the tensors the run produced (released after each timed run), in
   * the order `reference` returns its arrays; in-place ops return [] and list `inPlace`.
   */
  run(gpu: Gpu, t: Record<I, Tensor>): Tensor[];
  /** For in-place ops: the inputs the run overwrites, compared instead of returned tensors. */
  inPlace?: readonly NoInfer<I>[];
  /** Names of the compared outputs (for the report). */
  outputs: readonly string[];
  /** Float64 results of one run from the host inputs. */
  reference(host: Record<I, HostTensor>): Float64Array[];
  /** Optional custom error measure per output (default: norm-relative error). */
  compare?(name: string, got: Float32Array, want: Float64Array, host: Record<I, HostTensor>): number;
  /** The same case at batch n (validation at reduced cost). */
  atBatch?(n: number): CaseSpec<I>;
}

const SEED = 20261126;

export function defineCase<I extends string>(spec: CaseSpec<I>): KernelCase {
  const kc: KernelCase = {
    name: `${spec.op} ${spec.layer}`,
    op: spec.op,
    layer: spec.layer,
    shape: spec.shape,
    count: spec.count,
    flops: spec.flops,
    bytes: spec.bytes,
    referenceMacs: spec.referenceMacs,
    setup: (gpu) => prepare(gpu, spec),
  };
  if (spec.atBatch) kc.atBatch = (n) => defineCase(spec.atBatch!(n));
  return kc;
}

function prepare<I extends string>(gpu: Gpu, spec: CaseSpec<I>): PreparedCase {
  const host = spec.inputs(new Rng(SEED));
  const names = Object.keys(host) as I[];
  const tensors = {} as Record<I, Tensor>;
  for (const name of names) {
    const h = host[name];
    tensors[name] = Tensor.fromArray(gpu, h.data, h.shape, h.dtype ?? 'f32');
  }
  const inPlace = spec.inPlace ?? [];
  return {
    record(): void {
      for (const t of spec.run(gpu, tensors)) t.release();
    },
    async validate(): Promise<Validation> {
      // Outputs handed out by the pool start as NaN: an element the kernel skips fails the check.
      const poisonBefore = gpu.poisonOnAcquire;
      gpu.poisonOnAcquire = true;
      let produced: Tensor[];
      try {
        produced = spec.run(gpu, tensors);
      } finally {
        gpu.poisonOnAcquire = poisonBefore;
      }
      const got: Float32Array[] = [];
      for (const t of produced) got.push(await t.toFloat32());
      for (const name of inPlace) got.push(await tensors[name].toFloat32());
      for (const t of produced) t.release();
      await gpu.throwPendingErrors();
      const want = spec.reference(host);
      if (want.length !== got.length || want.length !== spec.outputs.length) {
        throw new Error(`bench case ${spec.op}: ${got.length} outputs, ${want.length} references, ${spec.outputs.length} names`);
      }
      const errors: Record<string, number> = {};
      spec.outputs.forEach((name, i) => {
        errors[name] = spec.compare ? spec.compare(name, got[i]!, want[i]!, host) : relError(got[i]!, want[i]!);
      });
      return validation(errors, spec.tolerance);
    },
    release(): void {
      for (const name of names) tensors[name].release();
    },
  };
}

/** Uniform values in [-1, 1), as Float64 (uploaded as f32: the reference reads the f32-rounded values). */
export function randomTensor(rng: Rng, shape: readonly number[], lo = -1, hi = 1): HostTensor {
  let n = 1;
  for (const d of shape) n *= d;
  const data = Float64Array.from(rng.array(n, lo, hi), Math.fround);
  return { data, shape };
}

export const shapeText = (name: string, shape: readonly number[]): string => `${name}[${shape.join(',')}]`;
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
