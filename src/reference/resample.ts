// Float64 references for the image resampling ops.
// image rgba: (H, W, 4) u8; resized: (3, S, S) in [0, 1]; augmented/normalised: (3, S, S).
//
// Resize is separable triangle filtering, antialiased like PIL / torchvision (antialias=True):
// output sample i of an axis of length L -> S sits at c = (i + 0.5) * L / S in source pixel
// units; the triangle's half-width is max(L / S, 1) source pixels, so shrinking averages every
// pixel under the output pixel and enlarging is plain bilinear. Weights are renormalised over the
// taps inside the image, so edges are not darkened.
import type { CropBox, RgbaImage } from './autocrop.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Taps and normalised weights of output sample i on an axis of `inSize` -> `outSize`. */
export function resizeTaps(inSize: number, outSize: number, i: number): { first: number; weights: number[] } {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const c = (i + 0.5) * scale;
  const first = Math.max(0, Math.ceil(c - support - 0.5));
  const last = Math.min(inSize - 1, Math.floor(c + support - 0.5));
  const weights: number[] = [];
  let sum = 0;
  for (let j = first; j <= last; j++) {
    const w = Math.max(0, 1 - Math.abs((j + 0.5 - c) / support));
    weights.push(w);
    sum += w;
  }
  return { first, weights: weights.map((w) => w / sum) };
}

/** Resizes the box of `img` to S x S: (3, S, S) in [0, 1]. */
export function resizeReference(img: RgbaImage, box: CropBox, size: number): Float64Array {
  const out = new Float64Array(3 * size * size);
  const tx = Array.from({ length: size }, (_, i) => resizeTaps(box.width, size, i));
  const ty = Array.from({ length: size }, (_, i) => resizeTaps(box.height, size, i));
  for (let oy = 0; oy < size; oy++) {
    const { first: fy, weights: wy } = ty[oy]!;
    for (let ox = 0; ox < size; ox++) {
      const { first: fx, weights: wx } = tx[ox]!;
      const acc = [0, 0, 0];
      for (let a = 0; a < wy.length; a++) {
        const row = (box.y + fy + a) * img.width;
        for (let b = 0; b < wx.length; b++) {
          const w = wy[a]! * wx[b]!;
          const p = (row + box.x + fx + b) * 4;
          for (let c = 0; c < 3; c++) acc[c]! += w * img.rgba[p + c]!;
        }
      }
      for (let c = 0; c < 3; c++) out[c * size * size + oy * size + ox] = acc[c]! / 255;
    }
  }
  return out;
}

/**
 * One image's augmentation: `matrix` [a, b, c, d, e, f] maps an output pixel centre (x+.5, y+.5)
 * to source coordinates (a x + b y + c, d x + e y + f); colour: v' = clamp((v * brightness - 0.5)
 * * contrast + 0.5, 0, 1). Identity: [1,0,0,0,1,0], brightness 1, contrast 1.
 */
export interface AugmentParams {
  matrix: readonly [number, number, number, number, number, number];
  brightness: number;
  contrast: number;
}

export const IDENTITY_AUGMENT: AugmentParams = { matrix: [1, 0, 0, 0, 1, 0], brightness: 1, contrast: 1 };

/** Bilinear sample of plane `c` of a (3, S, S) image at pixel coordinates (sx, sy); 0 outside. */
function sample(img: ArrayLike<number>, size: number, c: number, sx: number, sy: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < size && y < size ? img[c * size * size + y * size + x]! : 0);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** Augments then normalises one (3, S, S) image in [0, 1] with ImageNet mean/std. */
export function augmentReference(base: ArrayLike<number>, size: number, p: AugmentParams): Float64Array {
  const out = new Float64Array(3 * size * size);
  const [a, b, c, d, e, f] = p.matrix;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = a * (x + 0.5) + b * (y + 0.5) + c - 0.5;
      const sy = d * (x + 0.5) + e * (y + 0.5) + f - 0.5;
      for (let ch = 0; ch < 3; ch++) {
        let v = sample(base, size, ch, sx, sy);
        v = Math.min(1, Math.max(0, (v * p.brightness - 0.5) * p.contrast + 0.5));
        out[ch * size * size + y * size + x] = (v - IMAGENET_MEAN[ch]!) / IMAGENET_STD[ch]!;
      }
    }
  }
  return out;
}
