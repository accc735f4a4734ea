// Synthetic brain-MRI dataset: the 44 real folder names, per-folder counts proportional to the
// real ones, each file a plausible axial slice (scalp, skull, CSF, cortex, white matter,
// ventricles or posterior fossa) in T1, T1C+ or T2 contrast with a tumour type's typical
// location, size, shape, texture and enhancement. Pixels are rendered in JS from the seeded Rng
// and encoded with fixed sharp options, so the same seed gives byte-identical files.
// Rendered slices: (H, W) gray in [0, 1], written as 8-bit RGB or gray JPEG.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../reference/random.js';
import { NORMAL_FOLDER_TYPE, REAL_COUNTS, REAL_FOLDERS, splitFolderName } from './labels.js';

export type Sequence = 'T1' | 'T1C+' | 'T2';

export interface SynthOptions {
  out: string;
  /** Fraction of the real per-folder counts (at least 1 image per folder). */
  scale?: number;
  seed?: number;
  onProgress?: (done: number, total: number, path: string) => void;
}

export interface SynthResult {
  files: number;
  counts: Record<string, number>;
}

/** Images per folder at `scale` (real count x scale, rounded, at least 1). */
export function syntheticCounts(scale: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const folder of REAL_FOLDERS) {
    const { type, sequence } = splitFolderName(folder)!;
    const real = REAL_COUNTS[type]![['T1', 'T1C+', 'T2'].indexOf(sequence)]!;
    counts[folder] = Math.max(1, Math.round(real * scale));
  }
  return counts;
}

/** Writes the dataset under `out`; returns the counts written. */
export async function generateSynthetic(options: SynthOptions): Promise<SynthResult> {
  const scale = options.scale ?? 0.1;
  const seed = options.seed ?? 1;
  if (!(scale > 0)) throw new RangeError(`generateSynthetic: scale ${scale} must be > 0`);
  const counts = syntheticCounts(scale);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  let done = 0;
  for (const [f, folder] of REAL_FOLDERS.entries()) {
    const { type, sequence } = splitFolderName(folder)!;
    const dir = join(options.out, folder);
    await mkdir(dir, { recursive: true });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < counts[folder]!; i++) {
      // One generator per file, so a file does not depend on how many came before it.
      const rng = new Rng(mixSeed(seed, f, i));
      const slice = renderSlice(type === NORMAL_FOLDER_TYPE ? 'Normal' : type, sequence as Sequence, rng);
      const name = i % 3 === 2 ? `${type.toLowerCase()} ${sequence} (${i + 1}).jpg` : `${f.toString().padStart(2, '0')}_${(i + 1).toString().padStart(4, '0')}.jpg`;
      const path = join(dir, name);
      pending.push(
        encodeJpeg(slice, rng.next() < 0.8).then(async (bytes) => {
          await writeFile(path, bytes);
          options.onProgress?.(++done, total, path);
        }),
      );
      if (pending.length >= 8) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }
  return { files: total, counts };
}

function mixSeed(seed: number, a: number, b: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (a + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (b + 0x165667b1), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface Slice {
  width: number;
  height: number;
  /** (H, W) in [0, 1]. */
  gray: Float32Array;
}

/** Fixed encoder settings: the same pixels always give the same bytes. */
export async function encodeJpeg(slice: Slice, rgb: boolean): Promise<Buffer> {
  const n = slice.width * slice.height;
  const channels = rgb ? 3 : 1;
  const data = Buffer.alloc(n * channels);
  for (let i = 0; i < n; i++) {
    const v = Math.round(Math.min(1, Math.max(0, slice.gray[i]!)) * 255);
    for (let c = 0; c < channels; c++) data[i * channels + c] = v;
  }
  return sharp(data, { raw: { width: slice.width, height: slice.height, channels } })
    .jpeg({ quality: 90, chromaSubsampling: '4:4:4', mozjpeg: false, progressive: false, optimiseCoding: true })
    .toBuffer();
}

// ------------------------------------------------------------------ tissues and contrasts

/** Tissue intensities [T1, T2]; T1C+ is T1 plus the enhancement the renderer adds. */
const TISSUE = {
  air: [0.0, 0.0],
  fat: [0.8, 0.62],
  bone: [0.06, 0.05],
  csf: [0.1, 0.93],
  gm: [0.4, 0.58],
  wm: [0.56, 0.42],
  edema: [0.36, 0.8],
  necrosis: [0.2, 0.85],
  cyst: [0.12, 0.92],
  calc: [0.12, 0.1],
} as const;
type Tissue = keyof typeof TISSUE;

function tissue(t: Tissue, seq: Sequence): number {
  return TISSUE[t][seq === 'T2' ? 1 : 0];
}

// ------------------------------------------------------------------ smooth noise

/** Value noise on a periodic 32 x 32 lattice, smoothly interpolated; about [-1, 1]. */
class Noise {
  private readonly grid = new Float32Array(32 * 32);
  constructor(rng: Rng) {
    for (let i = 0; i < this.grid.length; i++) this.grid[i] = rng.uniform(-1, 1);
  }
  at(x: number, y: number): number {
    const xf = Math.floor(x);
    const yf = Math.floor(y);
    const tx = x - xf;
    const ty = y - yf;
    const sx = tx * tx * (3 - 2 * tx);
    const sy = ty * ty * (3 - 2 * ty);
    const x0 = xf & 31;
    const y0 = yf & 31;
    const x1 = (x0 + 1) & 31;
    const y1 = (y0 + 1) & 31;
    const g = this.grid;
    const a = g[y0 * 32 + x0]! + sx * (g[y0 * 32 + x1]! - g[y0 * 32 + x0]!);
    const b = g[y1 * 32 + x0]! + sx * (g[y1 * 32 + x1]! - g[y1 * 32 + x0]!);
    return a + sy * (b - a);
  }
  fbm(x: number, y: number, octaves: number): number {
    let s = 0;
    let amp = 0.5;
    let f = 1;
    for (let o = 0; o < octaves; o++) {
      s += amp * this.at(x * f + o * 7.3, y * f + o * 3.1);
      amp *= 0.5;
      f *= 2;
    }
    return s;
  }
}

// ------------------------------------------------------------------ lesions

interface Lesion {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  angle: number;
  /** Edge irregularity amplitude (fraction of radius) and lobe count. */
  lobes: number;
  lobeAmp: number;
  /** Solid tumour intensity [T1, T2] and T1C+ enhancement of its solid part. */
  t1: number;
  t2: number;
  enhance: number;
  /** Ring pattern: enhancing rim of this thickness (fraction of radius) around a core. */
  ring: number;
  core: Tissue | 'dark';
  /** Edema radius as a multiple of the lesion radius (1: none). */
  edema: number;
  /** Texture: amplitude of internal heterogeneity; cysts/bubbles; calcifications. */
  hetero: number;
  bubbles: number;
  calcs: number;
  /** Extra-axial (meningioma): a dural tail enhances along the surface. */
  dural: boolean;
  /** Blurry infiltrative edge. */
  soft: number;
  /** Cyst with a mural nodule (ganglioglioma): nodule offset. */
  nodule: number;
}

function baseLesion(rng: Rng): Lesion {
  return {
    cx: 0, cy: 0, rx: 0.1, ry: 0.1, angle: rng.uniform(0, Math.PI), lobes: 3 + rng.int(5), lobeAmp: 0.08,
    t1: 0.38, t2: 0.7, enhance: 0, ring: 0, core: 'necrosis', edema: 1, hetero: 0.05, bubbles: 0, calcs: 0,
    dural: false, soft: 0.05, nodule: 0,
  };
}

function polar(rng: Rng, rhoLo: number, rhoHi: number, thetaLo = 0, thetaHi = 2 * Math.PI): [number, number] {
  const rho = rng.uniform(rhoLo, rhoHi);
  const th = rng.uniform(thetaLo, thetaHi);
  return [rho * Math.cos(th), rho * Math.sin(th)];
}

/** Posterior-fossa slice probability per type: only the infratentorial types live there. */
function infratentorialChance(type: string): number {
  switch (type) {
    case 'Meduloblastoma':
    case 'Schwannoma':
      return 1;
    case 'Ependimoma':
      return 1;
    case 'Normal':
      return 0.1;
    default:
      return 0;
  }
}

/**
 * Lesions of a tumour type, in brain coordinates (unit = brain radius, +y posterior). Each type
 * keeps one location zone, size range, shape and per-contrast pattern, large enough (diameter at
 * least about a sixth of the head) to survive downscaling to a few dozen pixels; position, size,
 * orientation and texture are jittered. Left/right is random, so mirroring does not change a type.
 */
function lesionsFor(type: string, infra: boolean, rng: Rng): { lesions: Lesion[]; ventricles: number } {
  const L: Lesion[] = [];
  let ventricles = rng.uniform(0.85, 1.15);
  const size = (lo: number, hi: number) => rng.uniform(lo, hi);
  const side = rng.next() < 0.5 ? -1 : 1;
  const one = (patch: Partial<Lesion>) => {
    const l = { ...baseLesion(rng), ...patch };
    l.ry = l.ry || l.rx;
    L.push(l);
  };
  switch (type) {
    case 'Astrocitoma': {
      // Frontal white matter, large, infiltrative, non-enhancing, dark T1 / bright T2, homogeneous.
      const r = size(0.28, 0.36);
      one({ cx: side * rng.uniform(0.2, 0.32), cy: rng.uniform(-0.5, -0.35), rx: r, ry: r * rng.uniform(0.8, 1.15), t1: 0.18, t2: 0.95, enhance: 0.03, soft: 0.25, lobeAmp: 0.12, hetero: 0.04, edema: 1 });
      break;
    }
    case 'Carcinoma': {
      // Metastases: 3-5 ring-enhancing nodules at the grey-white junction, each with wide edema.
      const n = 3 + rng.int(2);
      const th0 = rng.uniform(0, 2 * Math.PI);
      for (let i = 0; i < n; i++) {
        const th = th0 + (i * 2 * Math.PI) / n + rng.uniform(-0.3, 0.3);
        const rho = rng.uniform(0.5, 0.68);
        const r = size(0.12, 0.15);
        one({ cx: rho * Math.cos(th), cy: rho * Math.sin(th), rx: r, t1: 0.3, t2: 0.6, enhance: 0.55, ring: i === 0 ? 0.4 : 0, core: 'necrosis', edema: rng.uniform(2.3, 2.8), lobeAmp: 0.05, soft: 0.04 });
      }
      break;
    }
    case 'Ependimoma': {
      // Fourth ventricle / posterior midline, heterogeneous: cysts and calcifications, patchy enhancement.
      const r = size(0.24, 0.28);
      const y = infra ? rng.uniform(0.26, 0.34) : rng.uniform(0.35, 0.5);
      one({ cx: rng.uniform(-0.04, 0.04), cy: y, rx: r * 0.9, ry: r * rng.uniform(1.5, 1.7), t1: 0.15, t2: 0.92, enhance: 0.3, hetero: 0.25, bubbles: 4 + rng.int(3), calcs: 4 + rng.int(3), edema: 1, lobeAmp: 0.12 });
      ventricles *= 1.4;
      break;
    }
    case 'Ganglioglioma': {
      // Temporal, lateral and anterior: large fluid cyst with an enhancing mural nodule.
      const r = size(0.24, 0.3);
      one({ cx: side * rng.uniform(0.48, 0.56), cy: rng.uniform(-0.05, 0.15), rx: r, ry: r * rng.uniform(0.9, 1.1), angle: rng.uniform(0, 2 * Math.PI), core: 'cyst', nodule: r * 0.5, lobeAmp: 0.03, soft: 0.03 });
      break;
    }
    case 'Germinoma': {
      // Pineal midline, homogeneous, strongly enhancing, iso T2; hydrocephalus.
      const r = size(0.2, 0.24);
      one({ cx: rng.uniform(-0.03, 0.03), cy: rng.uniform(0.12, 0.2), rx: r, ry: r * rng.uniform(0.85, 1.1), t1: 0.32, t2: 0.72, enhance: 0.6, hetero: 0.04, lobeAmp: 0.05 });
      ventricles *= 1.5;
      break;
    }
    case 'Glioblastoma': {
      // Deep hemispheric, very large, thick irregular enhancing rim around necrosis, wide edema.
      const r = size(0.34, 0.4);
      one({ cx: side * rng.uniform(0.3, 0.38), cy: rng.uniform(-0.25, 0.0), rx: r, ry: r * rng.uniform(0.8, 1.15), t1: 0.32, t2: 0.7, enhance: 0.55, ring: rng.uniform(0.3, 0.4), core: 'necrosis', edema: rng.uniform(1.35, 1.5), lobes: 2 + rng.int(3), lobeAmp: 0.18, hetero: 0.12, soft: 0.06 });
      break;
    }
    case 'Granuloma': {
      // One solid nodule in the parieto-occipital cortex, dark on T2, enhancing, very wide edema.
      const th = Math.PI / 2 + rng.uniform(-0.9, 0.9);
      const rho = rng.uniform(0.55, 0.65);
      const r = size(0.18, 0.22);
      one({ cx: rho * Math.cos(th), cy: rho * Math.sin(th), rx: r, t1: 0.55, t2: 0.12, enhance: 0.4, edema: rng.uniform(2.6, 3.2), lobeAmp: 0.06 });
      break;
    }
    case 'Meduloblastoma': {
      // Vermis, midline posterior fossa, large round, dense (iso T2), hydrocephalus.
      const r = size(0.3, 0.36);
      one({ cx: rng.uniform(-0.05, 0.05), cy: rng.uniform(0.48, 0.56), rx: r, ry: r * rng.uniform(0.85, 1.05), t1: 0.4, t2: 0.36, enhance: 0.5, hetero: 0.06, lobeAmp: 0.06, edema: 1 });
      ventricles *= 1.5;
      break;
    }
    case 'Meningioma': {
      // Extra-axial at the frontal or parietal convexity: broad dural base, homogeneous, bright enhancement, dural tail.
      const th = -Math.PI / 2 + side * rng.uniform(0.5, 1.3);
      const r = size(0.26, 0.32);
      const rho = rng.uniform(0.9, 0.96);
      one({ cx: rho * Math.cos(th), cy: rho * Math.sin(th), rx: r, ry: r * rng.uniform(0.85, 1.05), t1: 0.25, t2: 0.78, enhance: 0.66, hetero: 0.04, dural: true, lobeAmp: 0.04, soft: 0.03, edema: 1 });
      break;
    }
    case 'Neurocitoma': {
      // Lateral ventricle body beside the septum: bubbly ("soap-bubble") mass, moderate enhancement.
      const r = size(0.2, 0.24);
      one({ cx: side * rng.uniform(0.08, 0.12), cy: rng.uniform(-0.18, -0.06), rx: r, ry: r * rng.uniform(1.1, 1.35), t1: 0.25, t2: 0.85, enhance: 0.25, bubbles: 9 + rng.int(5), hetero: 0.08, calcs: rng.int(2), lobeAmp: 0.08 });
      ventricles *= 1.15;
      break;
    }
    case 'Oligodendroglioma': {
      // Frontal cortex-subcortex, towards the midline front: coarse dark calcifications, mild enhancement.
      const r = size(0.22, 0.28);
      one({ cx: side * rng.uniform(0.05, 0.2), cy: rng.uniform(-0.68, -0.58), rx: r * 1.2, ry: r, t1: 0.18, t2: 0.85, enhance: 0.06, calcs: 7 + rng.int(4), hetero: 0.15, soft: 0.15, lobeAmp: 0.16 });
      break;
    }
    case 'Papiloma': {
      // Atrium of a lateral ventricle: lobulated frond, intensely enhancing; strongly enlarged ventricles.
      const r = size(0.17, 0.21);
      one({ cx: side * rng.uniform(0.2, 0.26), cy: rng.uniform(0.22, 0.3), rx: r, t1: 0.46, t2: 0.62, enhance: 0.5, lobes: 9 + rng.int(6), lobeAmp: 0.28, hetero: 0.12 });
      ventricles *= 1.9;
      break;
    }
    case 'Schwannoma': {
      // Cerebellopontine angle: oval, enhancing, with small cysts.
      const r = size(0.2, 0.24);
      one({ cx: side * rng.uniform(0.4, 0.46), cy: rng.uniform(0.02, 0.12), rx: r * 1.2, ry: r, angle: side * 0.3, t1: 0.36, t2: 0.74, enhance: 0.48, bubbles: 2 + rng.int(3), hetero: 0.1, lobeAmp: 0.06 });
      break;
    }
    case 'Tuberculoma': {
      // A cluster of 4-7 small ring lesions with caseous (T2-dark) centres, mild edema, in one region.
      const n = 3 + rng.int(3);
      const [ccx, ccy] = polar(rng, 0.3, 0.45);
      for (let i = 0; i < n; i++) {
        const [dx, dy] = polar(rng, 0.05, 0.24);
        const r = size(0.11, 0.13);
        one({ cx: ccx + dx, cy: ccy + dy, rx: r, t1: 0.5, t2: 0.2, enhance: 0.45, ring: 0.45, core: 'dark', edema: 1.5, lobeAmp: 0.05 });
      }
      break;
    }
    default:
      break;
  }
  return { lesions: L, ventricles };
}

// ------------------------------------------------------------------ rendering

const RENDER_SIDE = 200;

const smooth = (e0: number, e1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

const trig = new Map<number, [number, number]>();
function ellipseD(x: number, y: number, cx: number, cy: number, rx: number, ry: number, angle = 0): number {
  const dx = x - cx;
  const dy = y - cy;
  if (angle === 0) return Math.sqrt((dx / rx) ** 2 + (dy / ry) ** 2);
  let cs = trig.get(angle);
  if (!cs) {
    if (trig.size > 4096) trig.clear();
    trig.set(angle, (cs = [Math.cos(angle), Math.sin(angle)]));
  }
  const a = (cs[0] * dx + cs[1] * dy) / rx;
  const b = (-cs[1] * dx + cs[0] * dy) / ry;
  return Math.sqrt(a * a + b * b);
}

/** Renders one axial slice of `type` ('Normal' or a tumour type) in `seq` contrast. */
export function renderSlice(type: string, seq: Sequence, rng: Rng): Slice {
  const width = 200 + rng.int(431);
  const height = Math.min(630, Math.max(200, Math.round(width * rng.uniform(0.85, 1.2))));
  const gray = new Float32Array(width * height);
  const noise = new Noise(rng);
  const infra = rng.next() < infratentorialChance(type);
  const { lesions, ventricles } = lesionsFor(type, infra, rng);

  // Head placement: fills 60-95 % of the short side, sometimes off-centre; black frame around.
  const fill = rng.uniform(0.6, 0.95);
  const R = (Math.min(width, height) * fill) / 2;
  const ax = R * rng.uniform(0.76, 0.86);
  const ay = R;
  const offCentre = rng.next() < 0.12;
  const cx = width / 2 + (offCentre ? rng.uniform(-1, 1) * (width / 2 - ax) * 0.9 : rng.uniform(-2, 2));
  const cy = height / 2 + (offCentre ? rng.uniform(-1, 1) * (height / 2 - ay) * 0.9 : rng.uniform(-2, 2));
  const rot = rng.uniform(-0.15, 0.15);
  const cr = Math.cos(rot);
  const sr = Math.sin(rot);
  const gyri = 9 + rng.int(6);
  const gyriPhase = rng.uniform(0, 6.28);
  const gain = rng.uniform(0.85, 1.12);
  const gamma = rng.uniform(0.9, 1.12);
  const sigma = rng.uniform(0.008, 0.03);
  const biasX = rng.uniform(-0.12, 0.12);
  const biasY = rng.uniform(-0.12, 0.12);
  const border = rng.next() < 0.2 ? 1 + rng.int(2) : 0;
  const borderValue = rng.uniform(0.75, 1);
  const enh = seq === 'T1C+';
  const vs = ventricles;
  const chunky = rng.uniform(2.5, 4);

  // Anatomy is rendered at up to RENDER_SIDE pixels on the short side and enlarged bilinearly
  // (scans are smooth at that scale); noise and the frame are added at full resolution.
  const k = Math.min(1, RENDER_SIDE / Math.min(width, height));
  const lw = Math.max(2, Math.round(width * k));
  const lh = Math.max(2, Math.round(height * k));
  const low = new Float32Array(lw * lh);
  for (let ly = 0; ly < lh; ly++) {
    for (let lx = 0; lx < lw; lx++) {
      const dx = ((lx + 0.5) * width) / lw - cx;
      const dy = ((ly + 0.5) * height) / lh - cy;
      // Head frame: u lateral, v anterior(-) to posterior(+), unit = head radius per axis.
      const u = (cr * dx + sr * dy) / ax;
      const v = (-sr * dx + cr * dy) / ay;
      const rr = Math.hypot(u, v);
      if (rr > 1.06) continue;
      const th = Math.atan2(v, u);
      const r = rr * (1 + 0.025 * noise.at(th * 2 + 10, 3.3));
      let val = 0;
      if (r > 1) {
        val = 0;
      } else if (r > 0.93) {
        val = tissue('fat', seq) * (0.85 + 0.15 * noise.at(u * 20, v * 20));
      } else if (r > 0.895) {
        val = tissue('bone', seq) + (seq === 'T2' ? 0 : 0.06 * Math.max(0, noise.at(u * 30 + 5, v * 30)));
      } else if (r > 0.875) {
        val = tissue('csf', seq);
      } else {
        // Brain coordinates: unit = brain radius.
        const bu = u / 0.875;
        const bv = v / 0.875;
        const rho = r / 0.875;
        val = infra ? posteriorFossa(bu, bv, rho, seq, noise, vs) : supratentorial(bu, bv, rho, th, seq, noise, vs, gyri, gyriPhase);
        if (enh && !infra && Math.abs(bu) < 0.03 && bv > 0.93) val = 0.8; // sagittal sinus
        for (const l of lesions) val = applyLesion(val, l, bu, bv, rho, seq, noise, chunky);
      }
      // Meningioma can bulge into the skull layers; draw extra-axial lesions over them too.
      if (r <= 1 && r > 0.875) for (const l of lesions) if (l.dural) val = applyLesion(val, l, u / 0.875, v / 0.875, r / 0.875, seq, noise, chunky);
      if (r <= 1) {
        val *= gain * (1 + biasX * u + biasY * v);
        val = Math.pow(Math.max(0, val), gamma);
      }
      low[ly * lw + lx] = val;
    }
  }
  for (let py = 0; py < height; py++) {
    const fy = Math.min(lh - 1, Math.max(0, ((py + 0.5) * lh) / height - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(lh - 1, y0 + 1);
    const ty = fy - y0;
    for (let px = 0; px < width; px++) {
      const fx = Math.min(lw - 1, Math.max(0, ((px + 0.5) * lw) / width - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(lw - 1, x0 + 1);
      const tx = fx - x0;
      const a = low[y0 * lw + x0]! + tx * (low[y0 * lw + x1]! - low[y0 * lw + x0]!);
      const b = low[y1 * lw + x0]! + tx * (low[y1 * lw + x1]! - low[y1 * lw + x0]!);
      let val = a + ty * (b - a);
      // Uniform noise of standard deviation sigma (one draw per pixel keeps generation fast).
      const nz = (rng.next() - 0.5) * 3.4641;
      val += sigma * nz * (val > 0.02 ? 1 : 0.4);
      if (border && (px < border || py < border || px >= width - border || py >= height - border)) val = borderValue;
      gray[py * width + px] = Math.min(1, Math.max(0, val));
    }
  }
  return { width, height, gray };
}

function supratentorial(bu: number, bv: number, rho: number, th: number, seq: Sequence, noise: Noise, vs: number, gyri: number, phase: number): number {
  const fold = Math.sin(th * gyri + phase + 2.2 * noise.at(bu * 3 + 20, bv * 3));
  // Sulci: CSF clefts reaching in from the surface; interhemispheric fissure at the midline.
  const depth = smooth(0.76, 0.98, rho);
  if (Math.abs(Math.sin(th * gyri * 1.3 + phase + 5 * noise.fbm(bu * 2.5, bv * 2.5 + 9, 2))) < 0.1 * depth) return tissue('csf', seq);
  if (Math.abs(bu + 0.02 * noise.at(bv * 4, 1)) < 0.012 + 0.01 * depth && Math.abs(bv) > 0.3) return tissue('csf', seq);
  // Ventricles: frontal horns diverge forward, atria/occipital horns backward; third ventricle slit.
  const fh = Math.min(ellipseD(bu, bv, -0.1 * vs, -0.2, 0.055 * vs, 0.17 * vs, 0.35), ellipseD(bu, bv, 0.1 * vs, -0.2, 0.055 * vs, 0.17 * vs, -0.35));
  const oh = Math.min(ellipseD(bu, bv, -0.15 * vs, 0.25, 0.05 * vs, 0.15 * vs, -0.35), ellipseD(bu, bv, 0.15 * vs, 0.25, 0.05 * vs, 0.15 * vs, 0.35));
  const third = Math.abs(bu) < 0.012 * vs && Math.abs(bv) < 0.07;
  if (fh < 1 || oh < 1 || third) {
    // Choroid plexus in the atria: enhances on T1C+.
    if (seq === 'T1C+' && oh < 0.45) return 0.7;
    return tissue('csf', seq);
  }
  const wmNoise = 0.03 * noise.fbm(bu * 6, bv * 6, 3);
  // Deep grey: caudate heads beside the frontal horns, thalami behind.
  const deep = Math.min(ellipseD(bu, bv, -0.17 * vs, -0.14, 0.06, 0.09), ellipseD(bu, bv, 0.17 * vs, -0.14, 0.06, 0.09), ellipseD(bu, bv, -0.1, 0.06, 0.08, 0.1), ellipseD(bu, bv, 0.1, 0.06, 0.08, 0.1));
  // Cortex ribbon, folded.
  const cortex = smooth(0.8 + 0.06 * fold, 0.86 + 0.06 * fold, rho);
  const g = Math.max(cortex, 1 - smooth(0.8, 1.1, deep));
  return tissue('wm', seq) * (1 - g) + tissue('gm', seq) * g + wmNoise;
}

function posteriorFossa(bu: number, bv: number, rho: number, seq: Sequence, noise: Noise, vs: number): number {
  // Orbits at the front: vitreous (fluid) inside a rim of orbital fat.
  const eye = Math.min(ellipseD(bu, bv, -0.34, -0.9, 0.13, 0.1), ellipseD(bu, bv, 0.34, -0.9, 0.13, 0.1));
  if (eye < 1.35) return eye < 1 ? tissue('csf', seq) * 0.85 : tissue('fat', seq) * 0.8;
  const cereb = Math.min(ellipseD(bu, bv, -0.32, 0.4, 0.38, 0.42), ellipseD(bu, bv, 0.32, 0.4, 0.38, 0.42));
  const stem = ellipseD(bu, bv, 0, 0.0, 0.22, 0.2);
  const fourth = ellipseD(bu, bv, 0, 0.24, 0.08 * vs, 0.045 * vs);
  const temporal = Math.min(ellipseD(bu, bv, -0.56, -0.28, 0.26, 0.36, 0.35), ellipseD(bu, bv, 0.56, -0.28, 0.26, 0.36, -0.35));
  const tex = 0.03 * noise.fbm(bu * 6, bv * 6, 3);
  if (fourth < 1) return tissue('csf', seq);
  if (stem < 1) return tissue('wm', seq) * 0.9 + tissue('gm', seq) * 0.1 + tex;
  if (cereb < 1) {
    // Folia: fine grey/white striation, grey at the surface.
    const folia = 0.5 + 0.5 * Math.sin((bv - 0.5 * Math.abs(bu)) * 55 + 4 * noise.at(bu * 5, bv * 5));
    const g = Math.max(smooth(0.82, 0.98, cereb), 0.3 + 0.3 * folia);
    return tissue('wm', seq) * (1 - g) + tissue('gm', seq) * g + tex;
  }
  if (temporal < 1) {
    const g = Math.max(smooth(0.65, 0.92, temporal), 0.35);
    return tissue('wm', seq) * (1 - g) + tissue('gm', seq) * g + tex;
  }
  // Between them: cisterns (fluid) around the brainstem, then skull base (bone, marrow, sinus air).
  if (stem < 1.35 || (cereb < 1.12 && Math.abs(bu) < 0.12)) return tissue('csf', seq);
  const n = noise.fbm(bu * 5 + 30, bv * 5, 3);
  if (bv < -0.45 && Math.abs(bu) < 0.22) return n > 0 ? 0.02 : tissue('bone', seq); // sphenoid sinus air
  return n > 0.15 ? tissue('fat', seq) * 0.55 : tissue('bone', seq) + 0.12 * (n + 0.5);
}

function applyLesion(val: number, l: Lesion, bu: number, bv: number, rho: number, seq: Sequence, noise: Noise, chunky: number): number {
  const reach = Math.max(l.rx, l.ry) * Math.max(l.edema, 1.8) * 1.5;
  if (Math.abs(bu - l.cx) > reach || Math.abs(bv - l.cy) > reach) return val;
  const d0 = ellipseD(bu, bv, l.cx, l.cy, l.rx, l.ry, l.angle);
  if (d0 > Math.max(l.edema, 1) * 1.4) return val;
  const phi = Math.atan2(bv - l.cy, bu - l.cx);
  const d = d0 * (1 + 0.5 * l.lobeAmp * Math.sin(phi * l.lobes + 3 * noise.at(l.cx * 10 + 40, l.cy * 10)) + l.lobeAmp * noise.fbm(Math.cos(phi) * 1.5 + l.cx * 9 + 50, Math.sin(phi) * 1.5 + l.cy * 9, 2));
  // Intra-axial lesions live inside the brain; extra-axial ones push in from the surface.
  if (!l.dural && rho > 0.97) return val;
  if (l.edema > 1 && d < l.edema && d >= 1) {
    const w = (1 - smooth(0.7 * l.edema, l.edema, d)) * (0.7 + 0.3 * noise.at(bu * 9, bv * 9 + 60));
    val = val * (1 - w) + tissue('edema', seq) * w;
  }
  if (l.dural && seq === 'T1C+') {
    // Dural tail: a thin enhancing line along the inner skull next to the tumour.
    const along = ellipseD(bu, bv, l.cx, l.cy, l.rx * 1.8, l.ry * 1.8, l.angle);
    if (along < 1 && rho > 0.96 && rho < 1.0) val = Math.max(val, 0.7);
  }
  // Extra-axial mass: a thin CSF cleft separates it from the displaced brain.
  if (l.dural && d >= 1 && d < 1.1) val = tissue('csf', seq);
  const edge = 1 - smooth(1 - l.soft, 1 + l.soft, d);
  if (edge <= 0) return val;
  const solidT1 = l.t1 + l.hetero * noise.fbm(bu * 14 + 70, bv * 14, 3);
  const solidT2 = l.t2 + l.hetero * noise.fbm(bu * 14 + 70, bv * 14, 3);
  let t1 = solidT1;
  let t2 = solidT2;
  let enhance = l.enhance * (0.8 + 0.4 * Math.max(0, noise.fbm(bu * chunky * 3, bv * chunky * 3 + 80, 2) + 0.5));
  if (l.ring > 0 && d < 1 - l.ring) {
    // Core: necrosis (T2 bright) or caseous (T2 dark), not enhancing.
    const core = l.core === 'dark' ? [0.35, 0.25] : [tissue(l.core as Tissue, 'T1'), tissue(l.core as Tissue, 'T2')];
    t1 = core[0]!;
    t2 = core[1]!;
    enhance = 0;
  }
  if (l.nodule > 0) {
    // Cyst with an enhancing mural nodule at its rim.
    const nd = Math.hypot(bu - (l.cx + 0.75 * l.rx * Math.cos(l.angle)), bv - (l.cy + 0.75 * l.ry * Math.sin(l.angle)));
    if (nd < l.nodule) {
      t1 = 0.42;
      t2 = 0.62;
      enhance = 0.4;
    } else {
      t1 = tissue('cyst', 'T1');
      t2 = tissue('cyst', 'T2');
      enhance = 0;
    }
  }
  for (let b = 0; b < l.bubbles; b++) {
    const a = b * 2.399 + l.cx * 7;
    const rb = 0.55 * l.rx * ((b * 0.37 + 0.2) % 1);
    const bd = Math.hypot(bu - l.cx - rb * Math.cos(a), bv - l.cy - rb * Math.sin(a));
    if (bd < l.rx * 0.16) {
      t1 = tissue('cyst', 'T1');
      t2 = tissue('cyst', 'T2');
      enhance = 0;
    }
  }
  for (let c = 0; c < l.calcs; c++) {
    const a = c * 2.1 + l.cy * 5;
    const rc = 0.6 * l.rx * ((c * 0.53 + 0.1) % 1);
    if (Math.hypot(bu - l.cx - rc * Math.cos(a), bv - l.cy - rc * Math.sin(a)) < l.rx * 0.07) {
      t1 = tissue('calc', 'T1');
      t2 = tissue('calc', 'T2');
      enhance = 0;
    }
  }
  const lesionVal = seq === 'T2' ? t2 : seq === 'T1' ? t1 : t1 + enhance;
  return val * (1 - edge) + lesionVal * edge;
}
