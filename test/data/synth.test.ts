// Synthetic dataset: layout, counts, determinism (same seed -> byte-identical files).
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, afterAll } from 'vitest';
import { REAL_FOLDERS } from '../../src/data/labels.js';
import { scanDataRoot } from '../../src/data/scan-node.js';
import { generateSynthetic, renderSlice, syntheticCounts } from '../../src/data/synth.js';
import { Rng } from '../../src/reference/random.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function treeHash(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const folder of (await readdir(root)).sort()) {
    for (const f of (await readdir(join(root, folder))).sort()) {
      out.set(`${folder}/${f}`, createHash('sha256').update(await readFile(join(root, folder, f))).digest('hex'));
    }
  }
  return out;
}

describe('generateSynthetic', () => {
  it('counts are proportional to the real ones, at least 1 per folder', () => {
    const c = syntheticCounts(0.1);
    expect(Object.keys(c)).toEqual([...REAL_FOLDERS]);
    expect(c['Meningioma T1C+']).toBe(37); // 365 * 0.1 rounded (36.5 -> 37)
    expect(c['Ganglioglioma T1C+']).toBe(2);
    expect(Object.values(c).reduce((a, b) => a + b, 0)).toBeGreaterThan(430);
    expect(Math.min(...Object.values(syntheticCounts(0.001)))).toBe(1);
  });

  it('same seed gives byte-identical files, another seed different ones; the scanner reads them', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'brainmri-synth-'))));
    dirs.push(a!, b!, c!);
    let progress = 0;
    await generateSynthetic({ out: a!, scale: 0.001, seed: 5, onProgress: (done, total) => (progress = done / total) });
    await generateSynthetic({ out: b!, scale: 0.001, seed: 5 });
    await generateSynthetic({ out: c!, scale: 0.001, seed: 6 });
    expect(progress).toBe(1);
    const ha = await treeHash(a!);
    const hb = await treeHash(b!);
    const hc = await treeHash(c!);
    expect(ha.size).toBe(44);
    expect([...ha]).toEqual([...hb]);
    const differing = [...ha].filter(([k, v]) => hc.get(k) !== v).length;
    expect(differing).toBe(44);
    const { dataset, report } = await scanDataRoot(a!, '15');
    expect(dataset.items).toHaveLength(44);
    expect(report.unknownFolders).toEqual([]);
    const first = join(a!, dataset.items[0]!.path);
    const meta = await sharp(first).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThanOrEqual(200);
    expect(meta.width).toBeLessThanOrEqual(630);
  });

  it('contrasts differ as in real scans: ventricle fluid dark on T1, bright on T2', () => {
    // Same seed and type: the same anatomy in two contrasts. Pooled over several slices, since a
    // single one may be a posterior-fossa level with little ventricular fluid.
    let brighter = 0;
    let darker = 0;
    let total = 0;
    for (let seed = 70; seed < 78; seed++) {
      const t1 = renderSlice('Normal', 'T1', new Rng(seed));
      const t2 = renderSlice('Normal', 'T2', new Rng(seed));
      expect([t1.width, t1.height]).toEqual([t2.width, t2.height]);
      total += t1.gray.length;
      for (let i = 0; i < t1.gray.length; i++) {
        if (t2.gray[i]! > 0.8 && t1.gray[i]! < 0.25) brighter++;
        if (t1.gray[i]! - t2.gray[i]! > 0.08) darker++;
      }
    }
    // Fluid (bright T2, dark T1) and white matter (brighter on T1 than T2) both occupy real area.
    expect(brighter).toBeGreaterThan(total * 0.005);
    expect(darker).toBeGreaterThan(total * 0.05);
  });
});
