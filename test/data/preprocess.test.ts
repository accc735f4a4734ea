// GPU image ops against their references: autocrop boxes, antialiased resize, augmentation.
import { describe, expect, it } from 'vitest';
import { autocrop, packImages, uploadBoxes } from '../../src/kernels/autocrop.js';
import { augmentNormalize, resize } from '../../src/kernels/resample.js';
import { autocropBox, DEFAULT_AUTOCROP, type CropBox, type RgbaImage } from '../../src/reference/autocrop.js';
import { augmentReference, resizeReference, IDENTITY_AUGMENT } from '../../src/reference/resample.js';
import { drawAugment, packAugment, DEFAULT_AUGMENT } from '../../src/data/augment.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { firstNonFinite, relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';
import { headImage, randomImage } from './images.js';
import { renderSlice } from '../../src/data/synth.js';

/** A generated slice as RGBA (what decoding its JPEG would give, minus the JPEG loss). */
function generated(type: string, seq: 'T1' | 'T1C+' | 'T2', seed: number): RgbaImage {
  const s = renderSlice(type, seq, new Rng(seed));
  const rgba = new Uint8Array(s.width * s.height * 4);
  s.gray.forEach((v, i) => {
    const b = Math.round(v * 255);
    rgba.set([b, b, b, 255], i * 4);
  });
  return { width: s.width, height: s.height, rgba };
}

const gpu = useGpu({ poison: true });

async function gpuBoxes(images: RgbaImage[], mode: 'seed' | 'bbox' | 'none', fraction = 0.1, ignore = 5): Promise<CropBox[]> {
  const g = gpu();
  const packed = packImages(g, images, 8);
  const boxes = autocrop(g, packed, { mode, fraction, ignoreFramePixels: ignore });
  const b = await boxes.toArray();
  boxes.release();
  packed.release();
  return images.map((_, i) => ({ x: b[i * 4]!, y: b[i * 4 + 1]!, width: b[i * 4 + 2]!, height: b[i * 4 + 3]! }));
}

function headSet(rng: Rng): RgbaImage[] {
  const out: RgbaImage[] = [];
  for (let k = 0; k < 5; k++) {
    const width = 60 + rng.int(90);
    const height = 60 + rng.int(90);
    out.push(headImage({ width, height, cx: width * rng.uniform(0.35, 0.65), cy: height * rng.uniform(0.35, 0.65), rx: width * rng.uniform(0.2, 0.4), ry: height * rng.uniform(0.2, 0.4), border: rng.int(3) }, rng));
  }
  out.push({ width: 31, height: 17, rgba: new Uint8Array(31 * 17 * 4) }); // blank: keeps the whole image
  return out;
}

describe('autocrop', () => {
  it('seed mode: GPU boxes equal the reference exactly (batch of 6, odd sizes, a blank image)', async () => {
    const seed = testSeed();
    const images = headSet(new Rng(seed));
    const ref = images.map((im) => autocropBox(im, DEFAULT_AUTOCROP));
    expect(await gpuBoxes(images, 'seed'), `seed ${seed}`).toEqual(ref);
    expect(ref[5]).toEqual({ x: 0, y: 0, width: 31, height: 17 });
  });

  it('seed and bbox modes equal the reference on generated slices (black frames, borders, off-centre heads)', async () => {
    const seed = testSeed();
    const types = ['Normal', 'Meningioma', 'Glioblastoma', 'Schwannoma', 'Papiloma'];
    const images = types.map((t, i) => generated(t, (['T1', 'T1C+', 'T2'] as const)[i % 3]!, seed + i));
    expect(await gpuBoxes(images, 'seed'), `seed ${seed}`).toEqual(images.map((im) => autocropBox(im, DEFAULT_AUTOCROP)));
    expect(await gpuBoxes(images, 'bbox'), `seed ${seed}`).toEqual(images.map((im) => autocropBox(im, { ...DEFAULT_AUTOCROP, mode: 'bbox' })));
  });

  it('bbox and none modes equal the reference; batch of 1', async () => {
    const seed = testSeed();
    const images = headSet(new Rng(seed));
    expect(await gpuBoxes(images, 'bbox', 0.2, 3), `seed ${seed}`).toEqual(images.map((im) => autocropBox(im, { mode: 'bbox', fraction: 0.2, ignoreFramePixels: 3 })));
    expect(await gpuBoxes(images.slice(0, 1), 'none')).toEqual([{ x: 0, y: 0, width: images[0]!.width, height: images[0]!.height }]);
  });

  it('bbox finds an off-centre head that seed mode misses', async () => {
    const rng = new Rng(7);
    // Head centred at (150, 60) with radii 40 x 30 in a 200 x 160 image with a 2-px bright border.
    const im = headImage({ width: 200, height: 160, cx: 150, cy: 60, rx: 40, ry: 30, border: 2 }, rng);
    const [bbox] = await gpuBoxes([im], 'bbox');
    expect(Math.abs(bbox!.x - 110)).toBeLessThanOrEqual(1);
    expect(Math.abs(bbox!.y - 30)).toBeLessThanOrEqual(1);
    expect(Math.abs(bbox!.width - 80)).toBeLessThanOrEqual(2);
    expect(Math.abs(bbox!.height - 60)).toBeLessThanOrEqual(2);
    // seed mode samples the centre row/column, which barely touch this head: its box is centred.
    const [seed] = await gpuBoxes([im], 'seed');
    expect(seed!.x + seed!.width / 2).toBeCloseTo(100, 0);
  });
});

describe('resize', () => {
  it('matches the float64 antialiased reference (shrink, enlarge, non-square boxes; batch of 3)', async () => {
    const g = gpu();
    const seed = testSeed();
    const rng = new Rng(seed);
    const S = 24;
    const images = [randomImage(131, 97, rng), randomImage(17, 13, rng), randomImage(64, 200, rng)];
    const boxes: CropBox[] = [
      { x: 3, y: 5, width: 120, height: 81 }, // shrink by 5 and 3.4
      { x: 0, y: 0, width: 17, height: 13 }, // enlarge
      { x: 10, y: 7, width: 47, height: 190 }, // mixed
    ];
    const packed = packImages(g, images, S);
    const b = uploadBoxes(g, boxes);
    const out = resize(g, packed, b);
    const got = await out.toArray();
    expect(firstNonFinite(got)).toBe(-1);
    const plane = 3 * S * S;
    for (let n = 0; n < 3; n++) {
      const ref = resizeReference(images[n]!, boxes[n]!, S);
      let maxAbs = 0;
      for (let i = 0; i < plane; i++) maxAbs = Math.max(maxAbs, Math.abs(got[n * plane + i]! - ref[i]!));
      // The spec allows 1/255; f32 sums of at most ~40 taps of [0, 1] values stay near 1e-6.
      expect(maxAbs, `seed ${seed} image ${n}`).toBeLessThan(1e-4);
    }
    out.release();
    b.release();
    packed.release();
  });

  it('writes each image to its output slot (batches packed in parts fill one tensor in order)', async () => {
    const g = gpu();
    const rng = new Rng(5);
    const S = 8;
    const images = [randomImage(20, 15, rng), randomImage(9, 30, rng), randomImage(12, 12, rng)];
    const boxes = images.map((im) => ({ x: 0, y: 0, width: im.width, height: im.height }));
    const packed = packImages(g, images, S, [2, 0, 1]);
    const b = uploadBoxes(g, boxes);
    const out = resize(g, packed, b);
    const got = await out.toArray();
    const plane = 3 * S * S;
    [2, 0, 1].forEach((slot, n) => {
      expect(relError(got.subarray(slot * plane, (slot + 1) * plane), resizeReference(images[n]!, boxes[n]!, S))).toBeLessThan(1e-5);
    });
    out.release();
    b.release();
    packed.release();
  });

  it('shrinking averages (antialiasing): a 1-px checkerboard becomes flat grey', async () => {
    const g = gpu();
    const w = 64;
    const rgba = new Uint8Array(w * w * 4);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) rgba.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 4, (y * w + x) * 4 + 4);
    const packed = packImages(g, [{ width: w, height: w, rgba }], 16);
    const b = uploadBoxes(g, [{ x: 0, y: 0, width: w, height: w }]);
    const out = resize(g, packed, b);
    const got = await out.toArray();
    for (const v of got) expect(Math.abs(v - 0.5)).toBeLessThan(0.02);
    out.release();
    b.release();
    packed.release();
  });
});

describe('augment', () => {
  async function pipeline(images: RgbaImage[], S: number, seed: number | null): Promise<{ base: Float32Array; out: Float32Array; params: ReturnType<typeof drawAugment>[] }> {
    const g = gpu();
    const packed = packImages(g, images, S);
    const boxes = autocrop(g, packed, DEFAULT_AUTOCROP);
    const base = resize(g, packed, boxes);
    const rng = seed === null ? null : new Rng(seed);
    const params = images.map(() => (rng ? drawAugment(rng, S, { ...DEFAULT_AUGMENT, scale: 0.1, translate: 0.05 }) : IDENTITY_AUGMENT));
    const out = augmentNormalize(g, base, packAugment(params));
    const result = { base: (await base.toArray()) as Float32Array, out: (await out.toArray()) as Float32Array, params };
    for (const t of [out, base, boxes]) t.release();
    packed.release();
    return result;
  }

  it('matches the reference (flip, rotation, scale, translation, colour) and normalises', async () => {
    const seed = testSeed();
    const images = headSet(new Rng(seed)).slice(0, 3);
    const S = 20;
    const { base, out, params } = await pipeline(images, S, seed);
    expect(firstNonFinite(out)).toBe(-1);
    const plane = 3 * S * S;
    for (let n = 0; n < images.length; n++) {
      const ref = augmentReference(base.subarray(n * plane, (n + 1) * plane), S, params[n]!);
      // f32 coordinates and bilinear sums: errors ~1e-6 of values of size ~2.
      expect(relError(out.subarray(n * plane, (n + 1) * plane), ref), `seed ${seed} image ${n}`).toBeLessThan(1e-4);
    }
  });

  it('identity parameters give exactly the normalised resize', async () => {
    const images = headSet(new Rng(3)).slice(0, 2);
    const S = 16;
    const { base, out } = await pipeline(images, S, null);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / (S * S)) % 3;
      expect(out[i]).toBeCloseTo((base[i]! - mean[c]!) / std[c]!, 5);
    }
  });

  it('the same seed gives identical batches; another seed does not', async () => {
    const images = headSet(new Rng(11)).slice(0, 3);
    const a = await pipeline(images, 16, 1234);
    const b = await pipeline(images, 16, 1234);
    const c = await pipeline(images, 16, 1235);
    expect(Buffer.from(a.out.buffer).equals(Buffer.from(b.out.buffer))).toBe(true);
    expect(Buffer.from(a.out.buffer).equals(Buffer.from(c.out.buffer))).toBe(false);
  });
});
