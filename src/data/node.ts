// Node conveniences: a file reader rooted at the data folder, and the Node decoder and cache.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export { NodeImageDecoder } from './decode-node.js';
export { DiskCacheStore } from './cache-node.js';
export { scanDataRoot } from './scan-node.js';
export { readSplitManifest, writeSplitManifest } from './split-node.js';

/** Reads `<root>/<relative path>` (paths as the scanner writes them, '/'-separated). */
export function fileReader(root: string): (path: string) => Promise<Uint8Array> {
  return async (path) => new Uint8Array(await readFile(join(root, ...path.split('/'))));
}
