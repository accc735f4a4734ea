// state_dict export and import for modules built with ModuleBuilder (names and order as PyTorch's):
// parameters from the arena (one readback for all), buffers, and num_batches_tracked as int64.
import type { Tensor } from '../gpu/tensor.js';
import type { ParamArena } from './arena.js';
import type { StateEntry } from './modules.js';
import { matchStateDict, toFloat32, type HostTensor, type MatchReport, type StateDict } from './weights/state-dict.js';

export interface Stateful {
  readonly arena: ParamArena;
  readonly entries: readonly StateEntry[];
}

/** Reads every parameter and buffer back (asynchronously; submits what is recorded). */
export async function exportStateDict(m: Stateful): Promise<StateDict> {
  const all = new Float32Array(await m.arena.gpu.read(m.arena.params.buffer, m.arena.params.offset, m.arena.params.byteLength));
  const sd: StateDict = new Map();
  for (const e of m.entries) {
    if (e.kind === 'param') {
      const a = m.arena.get(e.name);
      sd.set(e.name, { dtype: 'f32', shape: [...a.shape], data: all.slice(a.offset, a.offset + a.size) });
    } else if (e.kind === 'buffer') {
      sd.set(e.name, { dtype: 'f32', shape: [...e.tensor.shape], data: await e.tensor.toFloat32() });
    } else {
      sd.set(e.name, { dtype: 'i64', shape: [], data: BigInt64Array.of(BigInt(e.bn.numBatchesTracked)) });
    }
  }
  return sd;
}

export interface LoadOptions {
  /** Every tensor must be present with its shape, and nothing else (default true). */
  strict?: boolean;
}

/**
 * Loads what matches by name and shape. Strict (the default) throws, naming every missing,
 * unexpected or mis-shaped tensor, before writing anything. Non-strict loads the matching tensors
 * and returns the report (e.g. an ImageNet checkpoint into a 15-class model: fc is mis-shaped and
 * keeps its fresh initialisation). num_batches_tracked is optional either way.
 */
export function importStateDict(m: Stateful, sd: StateDict, o: LoadOptions = {}): MatchReport {
  const expected = new Map<string, readonly number[]>();
  for (const e of m.entries) {
    if (e.kind === 'param') expected.set(e.name, m.arena.get(e.name).shape);
    else if (e.kind === 'buffer') expected.set(e.name, e.tensor.shape);
  }
  const report = matchStateDict(expected, sd);
  if ((o.strict ?? true) && !report.ok) throw new Error(report.message);
  const counters = new Map<string, HostTensor>();
  for (const [k, t] of sd) if (k.endsWith('num_batches_tracked')) counters.set(k.replace(/^module\./, ''), t);
  for (const e of m.entries) {
    if (e.kind === 'counter') {
      const t = counters.get(e.name);
      if (t) e.bn.numBatchesTracked = Number(toFloat32(t)[0] ?? 0);
      continue;
    }
    const t = report.matched.get(e.name);
    if (!t) continue;
    const values = toFloat32(t);
    if (e.kind === 'param') m.arena.write(e.name, values);
    else writeTensor(e.tensor, values);
  }
  return report;
}

function writeTensor(t: Tensor, values: Float32Array): void {
  t.write(values);
}
