// Reads the PyTorch parity fixtures written by scripts/fixtures/make_parity_fixtures.py and judges
// engine results against them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.js';
import { crossEntropy } from '../../src/nn/ops.js';
import type { ResNet18 } from '../../src/nn/resnet.js';
import { Tape, Var } from '../../src/nn/tape.js';
import type { StateDict } from '../../src/nn/weights/state-dict.js';

export const PARITY_DIR = join(__dirname, '..', 'fixtures', 'parity');

export interface FixtureEntry {
  dtype: 'f32' | 'f64';
  shape: number[];
  offset: number;
  torch32_err?: number;
  torch32_l2?: number;
  ref_l2?: number;
  /** Sampled entries (full-width fixture): flat indices into the full tensor, and its max|truth|. */
  indices?: number[];
  ref_max?: number;
}

export interface ParityMeta {
  width: number;
  classes: number;
  batch: number;
  size: number;
  sgd: { lr: number; momentum: number; dampening: number; weight_decay: number; nesterov: boolean };
  curve_steps: number;
  param_names: string[];
  torchvision_resnet18: [string, number[]][];
}

export class ParityFixture {
  readonly meta: ParityMeta;
  readonly entries: Record<string, FixtureEntry>;
  private readonly bytes: Buffer;

  constructor(stem: string) {
    const index = JSON.parse(readFileSync(join(PARITY_DIR, `${stem}.json`), 'utf8')) as { meta: ParityMeta; tensors: Record<string, FixtureEntry> };
    this.meta = index.meta;
    this.entries = index.tensors;
    this.bytes = readFileSync(join(PARITY_DIR, `${stem}.bin`));
  }

  entry(name: string): FixtureEntry {
    const e = this.entries[name];
    if (!e) throw new Error(`parity fixture has no tensor ${name}`);
    return e;
  }

  /** Values as float64 (f32 entries widened exactly). */
  get(name: string): Float64Array {
    const e = this.entry(name);
    const n = e.shape.reduce((a, b) => a * b, 1);
    const ab = this.bytes.buffer.slice(this.bytes.byteOffset + e.offset, this.bytes.byteOffset + e.offset + n * (e.dtype === 'f32' ? 4 : 8));
    return e.dtype === 'f32' ? Float64Array.from(new Float32Array(ab)) : new Float64Array(ab);
  }

  /** The initial state (init/*), with num_batches_tracked as the script set it (3). */
  initialState(): StateDict {
    const sd: StateDict = new Map();
    for (const name of Object.keys(this.entries)) {
      if (!name.startsWith('init/')) continue;
      const key = name.slice(5);
      sd.set(key, { dtype: 'f32', shape: this.entry(name).shape, data: Float32Array.from(this.get(name)) });
      if (key.endsWith('running_var')) {
        sd.set(key.replace('running_var', 'num_batches_tracked'), { dtype: 'i64', shape: [], data: BigInt64Array.of(3n) });
      }
    }
    return sd;
  }
}

/**
 * The parity criterion, fixed before any engine result was seen.
 *   engine error <= FLOOR + K * (PyTorch-float32's error), per tensor, errors norm-relative
 *   (max|a - truth| / max|truth|) against PyTorch float64.
 * K = 10: the engine sums in other orders than PyTorch's CPU kernels (GPU tree reductions for the
 * batch statistics, K-split GEMMs), and rounding error of different summation orders of the same
 * length agrees within a small factor; 10 leaves room for the ratio of two small, noisy numbers.
 * FLOOR = 4e-6 (about 32 f32 ulps): for tensors PyTorch-float32 gets exact by luck (a running mean
 * moved once); it also covers the fixture's truths stored rounded to f32 (6e-8).
 * Over a group of tensors (all gradients, say) the L2 error of the engine must stay within
 * K_GLOBAL = 4 times PyTorch-float32's: a per-tensor pass cannot hide a systematic excess.
 */
export const K = 10;
export const FLOOR = 4e-6;
export const K_GLOBAL = 4;

export interface Judged {
  name: string;
  err: number;
  torch32: number;
  /** Share of the allowance used: ok when <= 1. */
  ratio: number;
  ok: boolean;
  l2: number;
}

export function judge(name: string, actual: ArrayLike<number>, truth: Float64Array, e: FixtureEntry): Judged {
  if (actual.length !== truth.length) throw new Error(`${name}: ${actual.length} values, fixture has ${truth.length}`);
  let diff = 0;
  let ref = 0;
  let l2 = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = actual[i]!;
    const d = Number.isFinite(a) ? Math.abs(a - truth[i]!) : Infinity;
    diff = Math.max(diff, d);
    ref = Math.max(ref, Math.abs(truth[i]!));
    l2 += d * d;
  }
  const err = diff / Math.max(1e-12, ref);
  const torch32 = e.torch32_err ?? 0;
  return { name, err, torch32, ratio: err / (FLOOR + K * torch32), ok: err <= FLOOR + K * torch32, l2: Math.sqrt(l2) };
}

/**
 * The same criterion on sampled elements of a large tensor: error over the samples, normalised by
 * the whole tensor's max|truth| (PyTorch-float32's error in the fixture is measured the same way).
 */
export function judgeSamples(name: string, actualFull: ArrayLike<number>, truth: Float64Array, e: FixtureEntry): Judged {
  if (!e.indices || e.ref_max === undefined) throw new Error(`${name}: not a sampled fixture entry`);
  let diff = 0;
  let l2 = 0;
  e.indices.forEach((idx, i) => {
    const a = actualFull[idx]!;
    const d = Number.isFinite(a) ? Math.abs(a - truth[i]!) : Infinity;
    diff = Math.max(diff, d);
    l2 += d * d;
  });
  const err = diff / Math.max(1e-12, e.ref_max);
  const torch32 = e.torch32_err ?? 0;
  return { name, err, torch32, ratio: err / (FLOOR + K * torch32), ok: err <= FLOOR + K * torch32, l2: Math.sqrt(l2) };
}

/** Group L2 errors: engine and PyTorch-float32, both relative to the group's truth norm. */
export function globalErrors(judged: Judged[], entries: FixtureEntry[]): { engine: number; torch32: number } {
  let e2 = 0;
  let t2 = 0;
  let r2 = 0;
  judged.forEach((j, i) => {
    e2 += j.l2 ** 2;
    t2 += (entries[i]!.torch32_l2 ?? 0) ** 2;
    r2 += (entries[i]!.ref_l2 ?? 0) ** 2;
  });
  return { engine: Math.sqrt(e2 / r2), torch32: Math.sqrt(t2 / r2) };
}

/** One line per group for the log: worst tensor and its PyTorch-float32 error. */
export function summary(group: string, judged: Judged[]): string {
  const worst = judged.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const maxErr = judged.reduce((a, b) => (b.err > a.err ? b : a));
  return `${group}: ${judged.length} tensors, largest error ${maxErr.err.toExponential(2)} (${maxErr.name}, torch-f32 ${maxErr.torch32.toExponential(2)}); closest to the bound ${worst.name} ${worst.err.toExponential(2)} vs torch-f32 ${worst.torch32.toExponential(2)} (${(100 * worst.ratio).toFixed(0)} % of the allowance)`;
}

/** Logs the group's summary and fails on every tensor over the parity bound, by name. */
export function expectWithinBound(group: string, judged: Judged[]): void {
  console.log(summary(group, judged));
  const bad = judged.filter((j) => !j.ok).map((j) => `${j.name}: ${j.err.toExponential(2)} vs torch-f32 ${j.torch32.toExponential(2)}`);
  expect(bad, `${group}: tensors over the parity bound`).toEqual([]);
}

/**
 * One train-mode forward, the cross-entropy loss and its backward into the model's gradients;
 * returns the logits and the loss judged against the fixture's train/logits and train/loss.
 */
export async function trainForwardBackward(model: ResNet18, images: Tensor, labels: Tensor, fx: ParityFixture): Promise<Judged[]> {
  const tape = new Tape(model.gpu, true);
  const logits = model.forward(tape, Var.leaf(images));
  const loss = crossEntropy(tape, logits, labels);
  tape.backward(loss, model.parameters);
  const judged = [
    judge('train/logits', await logits.data.toFloat32(), fx.get('train/logits'), fx.entry('train/logits')),
    judge('train/loss', await loss.data.toFloat32(), fx.get('train/loss'), fx.entry('train/loss')),
  ];
  logits.free();
  loss.free();
  return judged;
}
