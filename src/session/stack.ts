// T1/T1C+/T2 channel stacking: the three sequences of one patient (one slice position) become the
// three input channels, R = T1, G = T1C+, B = T2 (each image's gray value).
//
// The dataset has no patient ids, so which images belong together comes from a manifest, a CSV
// file with the header `label,t1,t1c,t2`: one row per stack, paths relative to the data root
// ('/'-separated), an empty cell for a sequence that does not exist (that channel is black; e.g.
// Normal has no T1C+). Labels are the 15-label names (tumour type or Normal).
//
// It plugs into the ordinary pipeline as an ImageSource: an item's path is its three paths joined
// with '|'; read() bundles the three files; the decoder decodes each and composes one RGBA image
// (the others resampled to the first's size), so autocrop, resize, augmentation (one transform
// for all three channels) and the cache work unchanged.
import type { DecodedImage, ImageDecoder } from '../data/image.js';
import { LABELS_15 } from '../data/labels.js';
import type { Dataset, DatasetItem } from '../data/scan.js';
import type { ImageSource } from './io.js';

export interface StackRow {
  label: string;
  /** T1, T1C+, T2 paths; null where the sequence is missing. */
  paths: [string | null, string | null, string | null];
}

export const STACK_SEPARATOR = '|';

/** Parses the manifest (RFC 4180 quoting is accepted for paths with commas). */
export function parseStackManifest(text: string): StackRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = splitCsv(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const want = ['label', 't1', 't1c', 't2'];
  if (want.some((w, i) => head[i] !== w)) throw new Error(`stack manifest: the header must be "label,t1,t1c,t2" (got "${lines[0] ?? ''}")`);
  return lines.slice(1).map((line, i) => {
    const cells = splitCsv(line);
    if (cells.length !== 4) throw new Error(`stack manifest line ${i + 2}: expected 4 fields, got ${cells.length}`);
    const p = cells.slice(1).map((c) => (c.trim() === '' ? null : c.trim())) as StackRow['paths'];
    if (p.every((x) => x === null)) throw new Error(`stack manifest line ${i + 2}: no image in the row`);
    for (const x of p) if (x?.includes(STACK_SEPARATOR)) throw new Error(`stack manifest line ${i + 2}: "${STACK_SEPARATOR}" cannot appear in a path`);
    return { label: cells[0]!.trim(), paths: p };
  });
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The stacks as a 15-label dataset (items in manifest order; sequence "stack"). */
export function stackDataset(rows: readonly StackRow[]): Dataset {
  const labels = [...LABELS_15];
  const items: DatasetItem[] = rows.map((r, i) => {
    const label = labels.indexOf(r.label);
    if (label < 0) throw new Error(`stack manifest row ${i + 2}: unknown label "${r.label}" (expected one of ${labels.join(', ')})`);
    return { path: r.paths.map((p) => p ?? '').join(STACK_SEPARATOR), label, folder: r.label, sequence: 'stack' };
  });
  return { labelMode: '15', labels, items };
}

/** Wraps a source so stacked paths read and decode as one three-channel image. */
export function stackSource(base: ImageSource): ImageSource {
  return {
    description: `${base.description} (T1/T1C+/T2 stacked)`,
    cache: base.cache,
    read: async (path) => {
      const parts = path.split(STACK_SEPARATOR);
      if (parts.length !== 3) return base.read(path);
      const files = await Promise.all(parts.map((p) => (p ? base.read(p) : Promise.resolve(new Uint8Array(0)))));
      return bundle(files);
    },
    decoder: stackDecoder(base.decoder),
  };
}

// Bundle: "STK3", then per part a u32 LE length and the bytes.
function bundle(files: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(4 + files.reduce((s, f) => s + 4 + f.length, 0));
  out.set([0x53, 0x54, 0x4b, 0x33]);
  const dv = new DataView(out.buffer);
  let off = 4;
  for (const f of files) {
    dv.setUint32(off, f.length, true);
    out.set(f, off + 4);
    off += 4 + f.length;
  }
  return out;
}

function unbundle(bytes: Uint8Array): Uint8Array[] | null {
  if (bytes.length < 4 || bytes[0] !== 0x53 || bytes[1] !== 0x54 || bytes[2] !== 0x4b || bytes[3] !== 0x33) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let off = 4;
  for (let i = 0; i < 3; i++) {
    if (off + 4 > bytes.length) return null;
    const n = dv.getUint32(off, true);
    parts.push(bytes.subarray(off + 4, off + 4 + n));
    off += 4 + n;
  }
  return parts;
}

export function stackDecoder(base: ImageDecoder): ImageDecoder {
  return {
    async decode(bytes, name) {
      const parts = unbundle(bytes);
      if (!parts) return base.decode(bytes, name);
      const names = name.split(STACK_SEPARATOR);
      const images = await Promise.all(parts.map((p, i) => (p.length ? base.decode(p, names[i] ?? name) : Promise.resolve(null))));
      return composeChannels(images);
    },
  };
}

/** R, G, B = gray of images 0, 1, 2 (sampled bilinearly onto the first present image's grid). */
export function composeChannels(images: readonly (DecodedImage | null)[]): DecodedImage {
  const first = images.find((im) => im !== null);
  if (!first) throw new Error('stack: no image to compose');
  const { width: W, height: H } = first;
  const rgba = new Uint8Array(W * H * 4);
  for (let j = 0; j < W * H; j++) rgba[j * 4 + 3] = 255;
  images.forEach((im, c) => {
    if (!im) return;
    const gray = (x: number, y: number) => {
      const i = (y * im.width + x) * 4;
      return (im.rgba[i]! + im.rgba[i + 1]! + im.rgba[i + 2]!) / 3;
    };
    for (let y = 0; y < H; y++) {
      const fy = Math.min(Math.max(((y + 0.5) * im.height) / H - 0.5, 0), im.height - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, im.height - 1);
      const ty = fy - y0;
      for (let x = 0; x < W; x++) {
        const fx = Math.min(Math.max(((x + 0.5) * im.width) / W - 0.5, 0), im.width - 1);
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, im.width - 1);
        const tx = fx - x0;
        const v = (1 - ty) * ((1 - tx) * gray(x0, y0) + tx * gray(x1, y0)) + ty * ((1 - tx) * gray(x0, y1) + tx * gray(x1, y1));
        rgba[(y * W + x) * 4 + c] = Math.round(v);
      }
    }
  });
  return { width: W, height: H, rgba };
}
