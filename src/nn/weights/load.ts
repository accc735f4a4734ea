// One entry point for weight files: recognizes safetensors, torch.save zip archives and
// PyTorch's legacy format from their first bytes. Browser-safe (bytes in, no file system).
import { isLegacyPth, LEGACY_MESSAGE, PthError, readPth } from './pth.js';
import { isSafetensors, readSafetensors } from './safetensors.js';
import type { StateDict } from './state-dict.js';
import { isZip } from './zip.js';

export type WeightsFormat = 'safetensors' | 'pth';

export interface LoadedWeights {
  format: WeightsFormat;
  tensors: StateDict;
  /** safetensors `__metadata__`; empty for .pth. */
  metadata: Record<string, string>;
}

export async function loadWeights(bytes: Uint8Array): Promise<LoadedWeights> {
  if (isZip(bytes)) {
    const { tensors } = await readPth(bytes);
    return { format: 'pth', tensors, metadata: {} };
  }
  if (isLegacyPth(bytes)) throw new PthError(LEGACY_MESSAGE);
  if (isSafetensors(bytes)) {
    const { tensors, metadata } = readSafetensors(bytes);
    return { format: 'safetensors', tensors, metadata };
  }
  // A bare pickle: the .pth reader throws its explanation of how to re-save it.
  if (bytes[0] === 0x80) await readPth(bytes);
  // A plausible safetensors header length but a broken header: let the reader say what is wrong.
  if (bytes.length >= 8) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n > 0n && n <= BigInt(bytes.length - 8)) readSafetensors(bytes);
  }
  throw new Error('weights: unrecognized file format; expected .safetensors or a torch.save (.pth/.pt) checkpoint');
}
