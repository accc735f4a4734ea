// Node listing of a data root for the scanner (fs); the browser lists with File System Access.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDataset, type Dataset, type FolderListing, type LabelMode, type ScanReport } from './scan.js';

export async function scanDataRoot(root: string, labelMode: LabelMode = '15'): Promise<{ dataset: Dataset; report: ScanReport }> {
  const top = await readdir(root, { withFileTypes: true });
  const listing: FolderListing[] = [];
  const rootFiles: string[] = [];
  for (const d of top) {
    if (d.isDirectory()) {
      const entries = await readdir(join(root, d.name), { withFileTypes: true });
      listing.push({ folder: d.name, entries: entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() })) });
    } else if (!d.name.startsWith('.')) rootFiles.push(d.name);
  }
  return buildDataset(listing, labelMode, rootFiles);
}
