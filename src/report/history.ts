// metrics.jsonl lines -> the epoch history the report draws. The file is append-only, so a
// resumed run may write an epoch again: the last line for an epoch wins.
import type { EpochRecord } from './html.js';

/** One finished epoch as `train` appends it to metrics.jsonl. */
export interface EpochLine extends EpochRecord {
  event: 'epoch';
  /** ISO time the epoch ended. */
  time: string;
  seconds?: number;
  imagesPerSecond?: number;
  best?: boolean;
}

const FIELDS = ['trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy', 'valMacroF1'] as const;

export function epochHistory(lines: readonly unknown[]): EpochRecord[] {
  const byEpoch = new Map<number, EpochRecord>();
  for (const line of lines) {
    if (typeof line !== 'object' || line === null) continue;
    const rec = line as Record<string, unknown>;
    if (rec['event'] !== undefined && rec['event'] !== 'epoch') continue;
    const epoch = rec['epoch'];
    if (typeof epoch !== 'number' || !Number.isInteger(epoch)) continue;
    const out: EpochRecord = { epoch };
    for (const f of FIELDS) {
      const v = rec[f];
      // JSON has no NaN: a diverged loss is written as null and stays absent here.
      if (typeof v === 'number' && Number.isFinite(v)) out[f] = v;
    }
    byEpoch.set(epoch, out);
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The epoch with the highest validation macro-F1 (the earliest on ties), or undefined. */
export function bestEpoch(history: readonly EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const e of history) if (e.valMacroF1 !== undefined && (best === undefined || e.valMacroF1 > best.valMacroF1!)) best = e;
  return best;
}
