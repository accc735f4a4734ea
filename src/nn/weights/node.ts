// Node-only file helpers around the browser-safe readers and writer.
import { readFile, writeFile } from 'node:fs/promises';
import { loadWeights, type LoadedWeights } from './load.js';
import { writeSafetensors } from './safetensors.js';
import type { StateDict } from './state-dict.js';

export async function loadWeightsFile(path: string): Promise<LoadedWeights> {
  const buf = await readFile(path);
  try {
    return await loadWeights(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

export async function saveSafetensorsFile(path: string, tensors: StateDict, metadata?: Record<string, string>): Promise<void> {
  await writeFile(path, writeSafetensors(tensors, metadata));
}
