// Reading and writing split.json in Node.
import { readFile, writeFile } from 'node:fs/promises';
import { parseSplitManifest, splitManifest, type Split, type SplitManifest } from './split.js';

export async function writeSplitManifest(path: string, split: Split): Promise<void> {
  await writeFile(path, JSON.stringify(splitManifest(split), null, 1) + '\n');
}

export async function readSplitManifest(path: string): Promise<SplitManifest> {
  return parseSplitManifest(await readFile(path, 'utf8'));
}
