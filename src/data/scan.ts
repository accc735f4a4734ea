// Dataset scanner: folder-per-class trees to an ordered list of (path, label).
// Pure over a listing so the browser (File System Access) and Node (scan-node.ts) share it.
import { codeUnitCompare, LABELS_15, LABELS_44, splitFolderName, typeLabelOf } from './labels.js';

/**
 * '15': tumour type (+ Normal) of the 44-folder layout (the default); '44': folder = class for
 * the same layout; 'folders': any class-per-folder dataset, labels = the folders found.
 */
export type LabelMode = '15' | '44' | 'folders';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'] as const;

export interface DatasetItem {
  /** Path relative to the data root, '/'-separated: `<folder>/<file>`. */
  path: string;
  label: number;
  folder: string;
  /** MRI sequence (T1, T1C+, T2) for the 44-folder layout; null otherwise. */
  sequence: string | null;
}

export interface Dataset {
  labelMode: LabelMode;
  /** Label names; index = label number (code-unit order). */
  labels: string[];
  /** Folders, then files, each in code-unit order. */
  items: DatasetItem[];
}

export interface ScanReport {
  /** Files passed over, with why (hidden, not an image, nested folder). */
  skipped: { path: string; reason: string }[];
  /** Folders that are not classes of the label mode (not read). */
  unknownFolders: string[];
  /** Class folders holding no image. */
  emptyFolders: string[];
  /** Files at the root (outside any class folder). */
  rootFiles: string[];
  /** Images per label name. */
  counts: Record<string, number>;
}

/** One folder's listing: the names of the files in it (and of sub-folders, flagged). */
export interface FolderListing {
  folder: string;
  entries: { name: string; isDirectory: boolean }[];
}

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext)) && !name.startsWith('.');
}

/** Builds the dataset from a listing of the root's folders (`rootFiles`: plain files at the root). */
export function buildDataset(listing: readonly FolderListing[], labelMode: LabelMode = '15', rootFiles: readonly string[] = []): { dataset: Dataset; report: ScanReport } {
  const report: ScanReport = { skipped: [], unknownFolders: [], emptyFolders: [], rootFiles: [...rootFiles].sort(codeUnitCompare), counts: {} };
  const folders = [...listing].filter((f) => !f.folder.startsWith('.')).sort((a, b) => codeUnitCompare(a.folder, b.folder));
  for (const f of listing) if (f.folder.startsWith('.')) report.skipped.push({ path: f.folder, reason: 'hidden folder' });

  const labelOf = (folder: string): string | null => {
    if (labelMode === '15') return typeLabelOf(folder);
    if (labelMode === '44') return LABELS_44.includes(folder) ? folder : null;
    return folder;
  };
  let labels: string[];
  if (labelMode === '15') labels = [...LABELS_15];
  else if (labelMode === '44') labels = [...LABELS_44];
  // A folder with no image is no class (LabelEncoder only sees labels that occur).
  else labels = folders.filter((f) => f.entries.some((e) => !e.isDirectory && isImageName(e.name))).map((f) => f.folder);
  const index = new Map(labels.map((l, i) => [l, i]));
  for (const l of labels) report.counts[l] = 0;

  const items: DatasetItem[] = [];
  for (const { folder, entries } of folders) {
    const label = labelOf(folder);
    if (label === null) {
      report.unknownFolders.push(folder);
      continue;
    }
    const names = entries.map((e) => e).sort((a, b) => codeUnitCompare(a.name, b.name));
    let found = 0;
    for (const e of names) {
      const path = `${folder}/${e.name}`;
      if (e.name.startsWith('.')) report.skipped.push({ path, reason: 'hidden' });
      else if (e.isDirectory) report.skipped.push({ path, reason: 'nested folder (not read)' });
      else if (!isImageName(e.name)) report.skipped.push({ path, reason: 'not an image (.jpg, .jpeg, .png)' });
      else {
        const parts = splitFolderName(folder);
        items.push({ path, label: index.get(label)!, folder, sequence: labelMode === 'folders' ? null : (parts?.sequence ?? null) });
        found++;
      }
    }
    if (found > 0) report.counts[label] = (report.counts[label] ?? 0) + found;
    else report.emptyFolders.push(folder);
  }
  return { dataset: { labelMode, labels, items }, report };
}

/** A short human summary of a scan (for the CLI). */
export function describeScan(dataset: Dataset, report: ScanReport): string {
  const lines = [`${dataset.items.length} images in ${dataset.labels.length} classes (label mode ${dataset.labelMode})`];
  if (report.skipped.length) lines.push(`skipped ${report.skipped.length} non-image or hidden entries (e.g. ${report.skipped[0]!.path}: ${report.skipped[0]!.reason})`);
  if (report.unknownFolders.length) lines.push(`ignored ${report.unknownFolders.length} folders that are not classes: ${report.unknownFolders.join(', ')}`);
  if (report.emptyFolders.length) lines.push(`empty class folders: ${report.emptyFolders.join(', ')}`);
  if (report.rootFiles.length) lines.push(`ignored ${report.rootFiles.length} files at the data root`);
  const missing = dataset.labels.filter((l) => report.counts[l] === 0);
  if (missing.length) lines.push(`classes with no images: ${missing.join(', ')}`);
  return lines.join('\n');
}
