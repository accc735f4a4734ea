// Tiny in-memory datasets for the session and CLI tests: raw gray images (no JPEG codec), a
// decoder for them, and datasets in the 44-folder layout so the 15-label scheme and Normal apply.
// raw image bytes: u16 LE width, u16 LE height, then width*height gray u8.
import { buildDataset, type Dataset } from '../../src/data/scan.js';
import type { DecodedImage, ImageDecoder } from '../../src/data/image.js';
import { Rng } from '../../src/reference/random.js';
import type { ImageSource } from '../../src/session/io.js';

export function rawImage(width: number, height: number, pixel: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array(4 + width * height);
  new DataView(out.buffer).setUint16(0, width, true);
  new DataView(out.buffer).setUint16(2, height, true);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[4 + y * width + x] = Math.max(0, Math.min(255, Math.round(pixel(x, y))));
  return out;
}

export const rawDecoder: ImageDecoder = {
  async decode(bytes: Uint8Array, name: string): Promise<DecodedImage> {
    if (bytes.length < 4) throw new Error(`${name}: too short`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const w = dv.getUint16(0, true);
    const h = dv.getUint16(2, true);
    if (bytes.length !== 4 + w * h) throw new Error(`${name}: truncated`);
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = bytes[4 + i]!;
      rgba[i * 4 + 3] = 255;
    }
    return { width: w, height: h, rgba };
  },
};

export interface TinySet {
  dataset: Dataset;
  files: Map<string, Uint8Array>;
  source: ImageSource;
}

export function tinySet(folders: Record<string, (rng: Rng, i: number) => Uint8Array>, perFolder: Record<string, number>, seed = 1): TinySet {
  const files = new Map<string, Uint8Array>();
  const rng = new Rng(seed);
  const listing = Object.keys(folders).map((folder) => {
    const entries = [];
    for (let i = 0; i < perFolder[folder]!; i++) {
      const name = `img${String(i).padStart(3, '0')}.png`;
      files.set(`${folder}/${name}`, folders[folder]!(rng, i));
      entries.push({ name, isDirectory: false });
    }
    return { folder, entries };
  });
  const { dataset } = buildDataset(listing, '15');
  return {
    dataset,
    files,
    source: {
      description: 'tiny test set',
      decoder: rawDecoder,
      read: async (p) => {
        const f = files.get(p);
        if (!f) throw new Error(`no file ${p}`);
        return f;
      },
    },
  };
}

/** Three easily told apart classes: a bright blob top-left, bottom-right, or none (Normal). */
export function blobSet(perClass = 8, size = 20, seed = 1): TinySet {
  const head = (rng: Rng, blob: [number, number] | null) =>
    rawImage(size, size, (x, y) => {
      const r = Math.hypot(x - size / 2, y - size / 2);
      let v = r < size * 0.42 ? 90 + rng.uniform(-20, 20) : 5;
      if (blob && Math.hypot(x - blob[0], y - blob[1]) < size * 0.15) v = 230;
      return v;
    });
  return tinySet(
    {
      'Glioblastoma T1': (rng) => head(rng, [size * 0.32, size * 0.32]),
      'Meningioma T2': (rng) => head(rng, [size * 0.68, size * 0.68]),
      '_NORMAL T1': (rng) => head(rng, null),
    },
    { 'Glioblastoma T1': perClass, 'Meningioma T2': perClass, '_NORMAL T1': perClass },
    seed,
  );
}
