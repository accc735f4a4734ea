// Autocrop reference (exact integer profiles, f32 threshold like the kernel).
// image rgba: (H, W, 4) u8; box: (x, y, width, height) in source pixels.
//
// 'seed' (the reference notebook's): intensity profiles along the centre row and centre column,
// summed over R, G, B; `ignoreFramePixels` skipped at both ends; threshold = fraction x the
// profile's max; the first and last samples above it give the head's extent, and a crop of that
// size is taken around the image centre.
// 'bbox': the same thresholding on max-profiles (each column's / row's brightest pixel, frame
// excluded, over the whole image), cropping to the detected box itself, so an off-centre head is found.
// 'none': the whole image.

export type AutocropMode = 'seed' | 'bbox' | 'none';

export interface AutocropOptions {
  mode: AutocropMode;
  /** Fraction of the profile maximum a sample must exceed (default 0.1). */
  fraction: number;
  /** Samples skipped at each end of a profile: black frames' thin bright borders live there. */
  ignoreFramePixels: number;
}

export const DEFAULT_AUTOCROP: AutocropOptions = { mode: 'seed', fraction: 0.1, ignoreFramePixels: 5 };

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Sum of R, G, B at (x, y). */
function intensity(img: RgbaImage, x: number, y: number): number {
  const i = (y * img.width + x) * 4;
  return img.rgba[i]! + img.rgba[i + 1]! + img.rgba[i + 2]!;
}

/** Intensity profile along x (length W): centre row for 'seed', column maxima for 'bbox' (over rows inside the ignored frame). */
export function profileX(img: RgbaImage, mode: 'seed' | 'bbox', ignore = 0): Uint32Array {
  const p = new Uint32Array(img.width);
  const cy = Math.floor(img.height / 2);
  for (let x = 0; x < img.width; x++) {
    if (mode === 'seed') p[x] = intensity(img, x, cy);
    else for (let y = ignore; y + ignore < img.height; y++) p[x] = Math.max(p[x]!, intensity(img, x, y));
  }
  return p;
}

/** Intensity profile along y (length H): centre column for 'seed', row maxima for 'bbox' (over columns inside the ignored frame). */
export function profileY(img: RgbaImage, mode: 'seed' | 'bbox', ignore = 0): Uint32Array {
  const p = new Uint32Array(img.height);
  const cx = Math.floor(img.width / 2);
  for (let y = 0; y < img.height; y++) {
    if (mode === 'seed') p[y] = intensity(img, cx, y);
    else for (let x = ignore; x + ignore < img.width; x++) p[y] = Math.max(p[y]!, intensity(img, x, y));
  }
  return p;
}

/**
 * First and last index in [ignore, n - ignore) whose value exceeds fraction x max over that
 * range; null when nothing does (blank profile) or the range is empty. The product is rounded
 * to f32 as the kernel computes it, so both pick the same samples.
 */
export function profileExtent(p: ArrayLike<number>, fraction: number, ignore: number): { first: number; last: number } | null {
  const lo = ignore;
  const hi = p.length - ignore;
  if (hi <= lo) return null;
  let max = 0;
  for (let i = lo; i < hi; i++) max = Math.max(max, p[i]!);
  if (max === 0) return null;
  const threshold = Math.fround(Math.fround(fraction) * max);
  let first = -1;
  let last = -1;
  for (let i = lo; i < hi; i++) {
    if (p[i]! > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? null : { first, last };
}

export function autocropBox(img: RgbaImage, options: AutocropOptions = DEFAULT_AUTOCROP): CropBox {
  const full = { x: 0, y: 0, width: img.width, height: img.height };
  if (options.mode === 'none') return full;
  const k = options.ignoreFramePixels;
  const ex = profileExtent(profileX(img, options.mode, k), options.fraction, k);
  const ey = profileExtent(profileY(img, options.mode, k), options.fraction, k);
  const width = ex ? ex.last - ex.first + 1 : img.width;
  const height = ey ? ey.last - ey.first + 1 : img.height;
  if (options.mode === 'bbox') return { x: ex ? ex.first : 0, y: ey ? ey.first : 0, width, height };
  return { x: Math.floor((img.width - width) / 2), y: Math.floor((img.height - height) / 2), width, height };
}

/** Copies a box out of an image (the cache stores crops). */
export function cropImage(img: RgbaImage, box: CropBox): RgbaImage {
  const out = new Uint8Array(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) {
    const src = ((box.y + y) * img.width + box.x) * 4;
    out.set(img.rgba.subarray(src, src + box.width * 4), y * box.width * 4);
  }
  return { width: box.width, height: box.height, rgba: out };
}
