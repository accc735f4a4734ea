// Random augmentation parameters: one affine matrix (flip, rotation, scale, translation built
// with wgpu-matrix) and a colour change per image, every choice drawn from the seeded Rng.
import { mat3 } from 'wgpu-matrix';
import type { Rng } from '../reference/random.js';
import { IDENTITY_AUGMENT, type AugmentParams } from '../reference/resample.js';

export interface AugmentOptions {
  /** Mirror left-right with probability 1/2. */
  flip: boolean;
  /** Rotation drawn uniformly in [-rotateDeg, rotateDeg]. */
  rotateDeg: number;
  /** Zoom factor drawn in [1 - scale, 1 + scale] (0: off). */
  scale: number;
  /** Shift in each axis drawn in [-translate, translate] x image size (0: off). */
  translate: number;
  /** Brightness factor in [1 - brightness, 1 + brightness] (0: off). */
  brightness: number;
  /** Contrast factor in [1 - contrast, 1 + contrast] (0: off). */
  contrast: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { flip: true, rotateDeg: 15, scale: 0, translate: 0, brightness: 0.1, contrast: 0.1 };

/**
 * Draws one image's parameters. Every draw happens whatever the options, so switching one
 * augmentation off does not shift the random stream of the others.
 */
export function drawAugment(rng: Rng, size: number, o: AugmentOptions): AugmentParams {
  const flip = rng.next() < 0.5 && o.flip;
  const angle = (rng.uniform(-1, 1) * o.rotateDeg * Math.PI) / 180;
  const zoom = 1 + rng.uniform(-1, 1) * o.scale;
  const tx = rng.uniform(-1, 1) * o.translate * size;
  const ty = rng.uniform(-1, 1) * o.translate * size;
  const brightness = 1 + rng.uniform(-1, 1) * o.brightness;
  const contrast = 1 + rng.uniform(-1, 1) * o.contrast;
  // Forward map source -> output about the image centre; the kernel needs its inverse.
  const c = size / 2;
  let m = mat3.translation([c + tx, c + ty]);
  m = mat3.multiply(m, mat3.rotation(angle));
  m = mat3.multiply(m, mat3.scaling([flip ? -zoom : zoom, zoom]));
  m = mat3.multiply(m, mat3.translation([-c, -c]));
  const inv = mat3.inverse(m);
  // wgpu-matrix mat3 is column-major with a padded column stride of 4.
  const matrix = [inv[0]!, inv[4]!, inv[8]!, inv[1]!, inv[5]!, inv[9]!] as const;
  return { matrix: matrix.map((v) => Math.fround(v)) as unknown as AugmentParams['matrix'], brightness: Math.fround(brightness), contrast: Math.fround(contrast) };
}

/** Packs parameters as the augment kernel reads them: 8 f32 per image. */
export function packAugment(params: readonly AugmentParams[]): Float32Array {
  const out = new Float32Array(params.length * 8);
  params.forEach((p, i) => {
    out.set(p.matrix, i * 8);
    out[i * 8 + 6] = p.brightness;
    out[i * 8 + 7] = p.contrast;
  });
  return out;
}

export function identityAugments(n: number): AugmentParams[] {
  return Array.from({ length: n }, () => IDENTITY_AUGMENT);
}
