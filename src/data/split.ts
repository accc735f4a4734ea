// Stratified train/test split with a seed, and its manifest (split.json) so a run can be
// reproduced or evaluated later on exactly the same files.
import { Rng } from '../reference/random.js';
import type { Dataset, DatasetItem, LabelMode } from './scan.js';

export interface SplitOptions {
  /** Test set size: a count (>= 1, e.g. the reference's 893) or a fraction in (0, 1). */
  test: number;
  seed: number;
}

export interface SplitReport {
  /** Labels with fewer than 2 images: all put in train (they cannot be stratified). */
  unstratified: string[];
  perLabel: { label: string; train: number; test: number }[];
}

export interface Split {
  seed: number;
  labelMode: LabelMode;
  labels: string[];
  train: DatasetItem[];
  test: DatasetItem[];
  report: SplitReport;
}

/**
 * Per label, the test count is its share of the test size (largest remainders get the leftover),
 * at least 1 and at most n - 1, so every label with 2+ images is in both sets. Which images go
 * to test is a seeded shuffle within the label. Both lists keep dataset order.
 */
export function stratifiedSplit(dataset: Dataset, options: SplitOptions): Split {
  const items = dataset.items;
  const N = items.length;
  const byLabel = dataset.labels.map(() => [] as number[]);
  items.forEach((it, i) => byLabel[it.label]!.push(i));
  const strat = byLabel.map((m, l) => ({ l, n: m.length })).filter((c) => c.n >= 2);
  const unstratified = dataset.labels.filter((_, l) => byLabel[l]!.length === 1);
  const pool = strat.reduce((s, c) => s + c.n, 0);
  let T = options.test >= 1 ? Math.round(options.test) : Math.round(options.test * N);
  if (!(options.test > 0)) throw new RangeError(`split: test size ${options.test} must be a count >= 1 or a fraction in (0, 1)`);
  if (T > pool - strat.length) throw new RangeError(`split: test size ${T} leaves no training image for some label (${pool} stratifiable images, ${strat.length} labels)`);
  T = Math.max(T, strat.length);

  const want = new Map<number, number>();
  const rema: { l: number; r: number }[] = [];
  let given = 0;
  for (const c of strat) {
    const ideal = (T * c.n) / pool;
    const k = Math.min(c.n - 1, Math.max(1, Math.floor(ideal)));
    want.set(c.l, k);
    given += k;
    rema.push({ l: c.l, r: ideal - Math.floor(ideal) });
  }
  // Hand out (or take back) the difference by largest (smallest) remainder; ties by label index.
  rema.sort((a, b) => b.r - a.r || a.l - b.l);
  for (let guard = 0; given !== T && guard < 10 * strat.length + 10; guard++) {
    for (const { l } of given < T ? rema : [...rema].reverse()) {
      if (given === T) break;
      const k = want.get(l)!;
      const n = byLabel[l]!.length;
      if (given < T && k < n - 1) {
        want.set(l, k + 1);
        given++;
      } else if (given > T && k > 1) {
        want.set(l, k - 1);
        given--;
      }
    }
  }

  const rng = new Rng(options.seed);
  const isTest = new Uint8Array(N);
  byLabel.forEach((members, l) => {
    const k = want.get(l) ?? 0;
    const shuffled = rng.shuffle([...members]);
    for (let j = 0; j < k; j++) isTest[shuffled[j]!] = 1;
  });
  const train = items.filter((_, i) => !isTest[i]);
  const test = items.filter((_, i) => isTest[i]);
  const perLabel = dataset.labels.map((label, l) => ({ label, test: want.get(l) ?? 0, train: byLabel[l]!.length - (want.get(l) ?? 0) }));
  return { seed: options.seed, labelMode: dataset.labelMode, labels: [...dataset.labels], train, test, report: { unstratified, perLabel } };
}

/** split.json: what a later run needs to rebuild the same split. Paths are relative to the data root. */
export interface SplitManifest {
  format: 'brainmri-split';
  version: 1;
  seed: number;
  labelMode: LabelMode;
  labels: string[];
  train: { path: string; label: number }[];
  test: { path: string; label: number }[];
  unstratified: string[];
}

export function splitManifest(split: Split): SplitManifest {
  const rows = (list: DatasetItem[]) => list.map((it) => ({ path: it.path, label: it.label }));
  return { format: 'brainmri-split', version: 1, seed: split.seed, labelMode: split.labelMode, labels: split.labels, train: rows(split.train), test: rows(split.test), unstratified: split.report.unstratified };
}

export function parseSplitManifest(text: string): SplitManifest {
  const m = JSON.parse(text) as Partial<SplitManifest>;
  if (m.format !== 'brainmri-split' || m.version !== 1 || !Array.isArray(m.train) || !Array.isArray(m.test) || !Array.isArray(m.labels)) {
    throw new Error('not a brainmri split manifest (format "brainmri-split", version 1)');
  }
  return m as SplitManifest;
}

/**
 * The manifest's train/test items found in `dataset` (same paths); `missing` lists manifest
 * paths the dataset no longer has, `relabelled` those whose label changed.
 */
export function applySplitManifest(dataset: Dataset, manifest: SplitManifest): { train: DatasetItem[]; test: DatasetItem[]; missing: string[]; relabelled: string[] } {
  if (manifest.labels.join('\n') !== dataset.labels.join('\n')) {
    throw new Error(`split manifest labels (${manifest.labels.length}, mode ${manifest.labelMode}) differ from the dataset's (${dataset.labels.length}, mode ${dataset.labelMode})`);
  }
  const byPath = new Map(dataset.items.map((it) => [it.path, it]));
  const missing: string[] = [];
  const relabelled: string[] = [];
  const pick = (rows: { path: string; label: number }[]) =>
    rows.flatMap((r) => {
      const it = byPath.get(r.path);
      if (!it) {
        missing.push(r.path);
        return [];
      }
      if (it.label !== r.label) relabelled.push(r.path);
      return [it];
    });
  return { train: pick(manifest.train), test: pick(manifest.test), missing, relabelled };
}
