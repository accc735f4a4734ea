// Stratified split: proportions, determinism, tiny labels, manifest round trip.
import { describe, expect, it } from 'vitest';
import { applySplitManifest, parseSplitManifest, splitManifest, stratifiedSplit } from '../../src/data/split.js';
import type { Dataset } from '../../src/data/scan.js';

function dataset(counts: number[]): Dataset {
  const labels = counts.map((_, i) => `L${i.toString().padStart(2, '0')}`);
  const items = counts.flatMap((n, l) => Array.from({ length: n }, (_, j) => ({ path: `${labels[l]}/${j}.jpg`, label: l, folder: labels[l]!, sequence: null })));
  return { labelMode: 'folders', labels, items };
}

// Approximate real 15-label counts (4,479 images).
const REAL15 = [575, 245, 145, 55, 85, 200, 75, 125, 865, 450, 520, 220, 230, 455, 135];

describe('stratifiedSplit', () => {
  it('a fixed count (893 of 4479) splits every label in proportion', () => {
    const ds = dataset(REAL15);
    const s = stratifiedSplit(ds, { test: 893, seed: 42 });
    expect(s.test).toHaveLength(893);
    expect(s.train).toHaveLength(ds.items.length - 893);
    for (const p of s.report.perLabel) {
      const n = p.train + p.test;
      expect(Math.abs(p.test - (893 * n) / ds.items.length)).toBeLessThanOrEqual(1);
      expect(s.test.filter((it) => ds.labels[it.label] === p.label)).toHaveLength(p.test);
    }
    const paths = new Set([...s.train, ...s.test].map((it) => it.path));
    expect(paths.size).toBe(ds.items.length);
  });

  it('same seed, same split; another seed, another split; a fraction works', () => {
    const ds = dataset(REAL15);
    const a = stratifiedSplit(ds, { test: 0.2, seed: 1 });
    const b = stratifiedSplit(ds, { test: 0.2, seed: 1 });
    const c = stratifiedSplit(ds, { test: 0.2, seed: 2 });
    expect(a.test.map((it) => it.path)).toEqual(b.test.map((it) => it.path));
    expect(a.test.map((it) => it.path)).not.toEqual(c.test.map((it) => it.path));
    expect(a.test).toHaveLength(Math.round(0.2 * ds.items.length));
  });

  it('labels with one image stay in train and are reported; tiny labels get one of each', () => {
    const ds = dataset([40, 1, 2, 3]);
    const s = stratifiedSplit(ds, { test: 0.25, seed: 3 });
    expect(s.report.unstratified).toEqual(['L01']);
    expect(s.report.perLabel.map((p) => [p.train, p.test])).toEqual([
      [30, 10], // 12 test images: 40 * 12 / 45 = 10.7 -> 10, the two small labels take 1 each
      [1, 0],
      [1, 1],
      [2, 1],
    ]);
    expect(() => stratifiedSplit(ds, { test: 44, seed: 3 })).toThrow(/leaves no training image/);
  });

  it('the manifest round-trips through JSON and rebuilds the same sets', () => {
    const ds = dataset([5, 6, 7]);
    const s = stratifiedSplit(ds, { test: 4, seed: 9 });
    const m = parseSplitManifest(JSON.stringify(splitManifest(s)));
    expect(m.seed).toBe(9);
    const back = applySplitManifest(ds, m);
    expect(back.test).toEqual(s.test);
    expect(back.train).toEqual(s.train);
    expect(back.missing).toEqual([]);
    const fewer = { ...ds, items: ds.items.slice(1) };
    expect(applySplitManifest(fewer, m).missing).toHaveLength(1);
    expect(() => parseSplitManifest('{"format":"x"}')).toThrow(/not a brainmri split manifest/);
  });
});

describe('splitByBinding', () => {
  it('groups images so each group fits one storage binding, in order', async () => {
    const { splitByBinding } = await import('../../src/data/loader.js');
    const sizes = [100, 100, 100, 100, 100].map((w) => ({ width: w, height: w }));
    // Each image: 40,000 pixel bytes and 100 * 8 * 16 = 12,800 scratch bytes at size 8.
    expect(splitByBinding([0, 1, 2, 3, 4], (i) => sizes[i]!, 8, 90_000)).toEqual([[0, 1], [2, 3], [4]]);
    expect(splitByBinding([0, 1, 2, 3, 4], (i) => sizes[i]!, 8, 1 << 30)).toEqual([[0, 1, 2, 3, 4]]);
    expect(() => splitByBinding([0], (i) => sizes[i]!, 8, 10_000)).toThrow(/alone exceeds/);
  });
});
