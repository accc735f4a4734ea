// Scanner: the 44-folder layout, label modes and order, junk handling (no GPU needed).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { LABELS_15, LABELS_44, REAL_FOLDERS, splitFolderName, typeLabelOf } from '../../src/data/labels.js';
import { scanDataRoot } from '../../src/data/scan-node.js';
import { buildDataset, describeScan } from '../../src/data/scan.js';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'brainmri-scan-'));
  for (const folder of REAL_FOLDERS) {
    await mkdir(join(root, folder));
    // Names with spaces and parentheses, extensions in any case; 'b' sorts after 'B' and '(' before '0'.
    for (const name of ['img (2).jpg', 'img (10).JPG', 'B.jpeg', 'b.png', 'a.PNG']) await writeFile(join(root, folder, name), 'x');
  }
  await writeFile(join(root, 'Glioblastoma T1', 'notes.txt'), 'junk');
  await writeFile(join(root, 'Glioblastoma T1', '.hidden.jpg'), 'junk');
  await mkdir(join(root, 'Glioblastoma T1', 'nested'));
  await mkdir(join(root, 'Empty Folder'));
  await mkdir(join(root, 'Lymphoma T1'));
  await writeFile(join(root, 'Lymphoma T1', 'x.jpg'), 'x');
  await mkdir(join(root, '.git'));
  await writeFile(join(root, 'README.txt'), 'root file');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('folder names and labels', () => {
  it('knows the 44 real folders and splits on the last space', () => {
    expect(REAL_FOLDERS).toHaveLength(44);
    expect(REAL_FOLDERS.at(-1)).toBe('_NORMAL T2'); // '_' sorts after capital letters
    expect(splitFolderName('_NORMAL T1')).toEqual({ type: '_NORMAL', sequence: 'T1' });
    expect(splitFolderName('Astrocitoma T1C+')).toEqual({ type: 'Astrocitoma', sequence: 'T1C+' });
    expect(typeLabelOf('_NORMAL T1')).toBe('Normal');
    expect(typeLabelOf('Lymphoma T1')).toBeNull();
  });

  it('orders the 15 labels like LabelEncoder: Normal is index 10', () => {
    expect(LABELS_15).toHaveLength(15);
    expect(LABELS_15.indexOf('Normal')).toBe(10);
    expect(LABELS_15[0]).toBe('Astrocitoma');
    expect(LABELS_15[14]).toBe('Tuberculoma');
    expect(LABELS_44.slice(0, 3)).toEqual(['Astrocitoma T1', 'Astrocitoma T1C+', 'Astrocitoma T2']);
  });
});

describe('scanDataRoot', () => {
  it('15-label mode: every image found, junk counted, unknown folder reported', async () => {
    const { dataset, report } = await scanDataRoot(root, '15');
    expect(dataset.items).toHaveLength(44 * 5);
    expect(dataset.labels).toEqual(LABELS_15);
    const normal = dataset.items.filter((it) => it.folder.startsWith('_NORMAL'));
    expect(normal).toHaveLength(10);
    expect(normal.every((it) => it.label === 10 && it.sequence !== null)).toBe(true);
    expect(report.unknownFolders).toEqual(['Empty Folder', 'Lymphoma T1']);
    expect(report.skipped.map((s) => s.path).sort()).toEqual(['.git', 'Glioblastoma T1/.hidden.jpg', 'Glioblastoma T1/nested', 'Glioblastoma T1/notes.txt']);
    expect(report.rootFiles).toEqual(['README.txt']);
    expect(report.counts['Meningioma']).toBe(15);
    expect(describeScan(dataset, report)).toMatch(/220 images in 15 classes[\s\S]*Lymphoma T1/);
  });

  it('order: folders then files, each in code-unit order (not locale)', async () => {
    const { dataset } = await scanDataRoot(root, '15');
    expect(dataset.items.slice(0, 5).map((it) => it.path)).toEqual([
      'Astrocitoma T1/B.jpeg',
      'Astrocitoma T1/a.PNG',
      'Astrocitoma T1/b.png',
      'Astrocitoma T1/img (10).JPG',
      'Astrocitoma T1/img (2).jpg',
    ]);
    const folders = [...new Set(dataset.items.map((it) => it.folder))];
    expect(folders).toEqual(REAL_FOLDERS);
  });

  it('44-label mode: folder = class', async () => {
    const { dataset, report } = await scanDataRoot(root, '44');
    expect(dataset.labels).toEqual(LABELS_44);
    expect(dataset.items.find((it) => it.folder === '_NORMAL T2')!.label).toBe(43);
    expect(report.unknownFolders).toEqual(['Empty Folder', 'Lymphoma T1']);
  });

  it('generic mode: any folder with images is a class, empty folders reported', async () => {
    const { dataset, report } = await scanDataRoot(root, 'folders');
    expect(dataset.labels).toHaveLength(45); // the 44 + Lymphoma T1; Empty Folder has no image
    expect(dataset.labels).toContain('Lymphoma T1');
    expect(report.emptyFolders).toEqual(['Empty Folder']);
    expect(dataset.items.every((it) => it.sequence === null)).toBe(true);
  });

  it('buildDataset works on a listing alone (the browser path)', () => {
    const { dataset } = buildDataset([{ folder: 'cats', entries: [{ name: 'x.jpg', isDirectory: false }] }, { folder: 'Dogs', entries: [{ name: 'y.png', isDirectory: false }] }], 'folders');
    expect(dataset.labels).toEqual(['Dogs', 'cats']);
    expect(dataset.items.map((it) => [it.path, it.label])).toEqual([['Dogs/y.png', 0], ['cats/x.jpg', 1]]);
  });
});
