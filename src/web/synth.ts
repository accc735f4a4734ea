// The synthetic dataset generated in the page: the same 44 folders, per-folder counts and
// renderer as the CLI's `synth` (src/data/synth.ts renders pixels in JS); only the JPEG encoder
// differs (the browser's canvas instead of sharp), behind SliceEncoder. Files stay in memory.
// Slices: (H, W) gray in [0, 1]; files: JPEG bytes keyed by "<folder>/<file>".
import { NORMAL_FOLDER_TYPE, REAL_FOLDERS, splitFolderName } from '../data/labels.js';
import { renderSlice, syntheticCounts, type Sequence, type Slice } from '../data/synth.js';
import { Rng } from '../reference/random.js';

export interface SliceEncoder {
  /** File extension written, with the dot. */
  readonly extension: string;
  encode(slice: Slice): Promise<Uint8Array>;
}

/** Gray slice to RGBA bytes (opaque). */
export function sliceToRgba(slice: Slice): Uint8ClampedArray<ArrayBuffer> {
  const n = slice.width * slice.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = Math.round(Math.min(1, Math.max(0, slice.gray[i]!)) * 255);
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** JPEG (quality 0.9) through OffscreenCanvas.convertToBlob. */
export class CanvasJpegEncoder implements SliceEncoder {
  readonly extension = '.jpg';
  async encode(slice: Slice): Promise<Uint8Array> {
    const canvas = new OffscreenCanvas(slice.width, slice.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context to encode a JPEG');
    ctx.putImageData(new ImageData(sliceToRgba(slice), slice.width, slice.height), 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return new Uint8Array(await blob.arrayBuffer());
  }
}

export interface WebSynthOptions {
  /** Fraction of the real per-folder counts (at least 1 image per folder). */
  scale: number;
  seed: number;
  encoder?: SliceEncoder;
  onProgress?: (done: number, total: number) => void;
  /** Stops early when it returns true (checked between files). */
  cancelled?: () => boolean;
}

/** Per-file seed: each file depends only on (seed, folder index, file index). */
function fileSeed(seed: number, folder: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x51ed270b, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (folder + 0x632be5ab), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (index + 0x2f4a7c15), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Renders and encodes the synthetic set; yields to the page between files so it stays responsive. */
export async function generateSyntheticInPage(options: WebSynthOptions): Promise<Map<string, Uint8Array>> {
  const encoder = options.encoder ?? new CanvasJpegEncoder();
  const counts = syntheticCounts(options.scale);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const files = new Map<string, Uint8Array>();
  let done = 0;
  for (const [f, folder] of REAL_FOLDERS.entries()) {
    const { type, sequence } = splitFolderName(folder)!;
    for (let i = 0; i < counts[folder]!; i++) {
      if (options.cancelled?.()) return files;
      const rng = new Rng(fileSeed(options.seed, f, i));
      const slice = renderSlice(type === NORMAL_FOLDER_TYPE ? 'Normal' : type, sequence as Sequence, rng);
      const name = `${f.toString().padStart(2, '0')}_${(i + 1).toString().padStart(4, '0')}${encoder.extension}`;
      files.set(`${folder}/${name}`, await encoder.encode(slice));
      options.onProgress?.(++done, total);
      await new Promise((ok) => setTimeout(ok, 0));
    }
  }
  return files;
}
