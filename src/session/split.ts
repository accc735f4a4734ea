// Train/validation split for a run: stratified (src/data/split.ts), a plain seeded random split
// (--no-stratify), or none (validation size 0). Both lists keep dataset order.
import { Rng } from '../reference/random.js';
import { applySplitManifest, stratifiedSplit, type Split, type SplitManifest } from '../data/split.js';
import type { Dataset, DatasetItem } from '../data/scan.js';

export function makeSplit(dataset: Dataset, valSize: number, stratify: boolean, seed: number): Split {
  const labels = [...dataset.labels];
  const none = { unstratified: [], perLabel: [] };
  if (valSize === 0) return { seed, labelMode: dataset.labelMode, labels, train: [...dataset.items], test: [], report: none };
  if (stratify) return stratifiedSplit(dataset, { test: valSize, seed });
  const N = dataset.items.length;
  const T = valSize >= 1 ? Math.round(valSize) : Math.round(valSize * N);
  if (!(T >= 1 && T < N)) throw new RangeError(`split: validation size ${valSize} gives ${T} of ${N} images; it must leave at least one on each side`);
  const order = new Rng(seed).shuffle(Array.from({ length: N }, (_, i) => i));
  const isVal = new Uint8Array(N);
  for (let j = 0; j < T; j++) isVal[order[j]!] = 1;
  const train: DatasetItem[] = [];
  const test: DatasetItem[] = [];
  dataset.items.forEach((it, i) => (isVal[i] ? test : train).push(it));
  return { seed, labelMode: dataset.labelMode, labels, train, test, report: none };
}

/** The split a manifest describes, on this dataset (missing files are reported, not fatal). */
export function splitFromManifest(dataset: Dataset, manifest: SplitManifest): { split: Split; missing: string[] } {
  const r = applySplitManifest(dataset, manifest);
  return {
    split: { seed: manifest.seed, labelMode: dataset.labelMode, labels: [...dataset.labels], train: r.train, test: r.test, report: { unstratified: manifest.unstratified ?? [], perLabel: [] } },
    missing: r.missing,
  };
}
