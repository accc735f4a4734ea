// autocrop: crop boxes of a batch of packed RGBA8 images, on the GPU.
// pixels: packed RGBA8 u32 (H, W) per image; table: (N, 8) u32; boxes: (N, 4) u32 [x, y, w, h]
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import type { Kernel } from '../gpu/kernel.js';
import type { AutocropOptions, RgbaImage } from '../reference/autocrop.js';
import autocropSource from '../../shaders/autocrop.wgsl';

const AUTOCROP: Kernel = { name: 'autocrop', source: autocropSource };
const MODES = { seed: 0, bbox: 1, none: 2 } as const;

/** A batch of images uploaded as packed RGBA8 words with their offsets (see shaders/autocrop.wgsl). */
export interface PackedImages {
  count: number;
  /** Output batch index of each image. */
  slots: number[];
  widths: number[];
  heights: number[];
  pixels: Tensor;
  /** (N, 8) u32: pixel offset, W, H, resize scratch offset (vec4s, for size `tmpSize`), profile offset, output slot. */
  table: Tensor;
  /** Resize scratch: vec4 count needed for `tmpSize`. */
  tmpVec4s: number;
  tmpSize: number;
  profileWords: number;
  release(): void;
}

/** Bytes the GPU needs for a batch (pixels + resize scratch at `size`), to split batches by binding size. */
export function packedBytes(images: readonly { width: number; height: number }[], size: number): { pixels: number; tmp: number } {
  let pixels = 0;
  let tmp = 0;
  for (const im of images) {
    pixels += im.width * im.height * 4;
    tmp += im.height * size * 16;
  }
  return { pixels, tmp };
}

/**
 * Uploads images (packed RGBA8, one word per pixel). `size` is the resize target the scratch is
 * laid out for; `slots[n]` is the batch index resize writes image n to (default n).
 */
export function packImages(gpu: Gpu, images: readonly RgbaImage[], size: number, slots?: readonly number[]): PackedImages {
  if (slots && slots.length !== images.length) throw new RangeError(`packImages: ${slots.length} slots for ${images.length} images`);
  if (images.length === 0) throw new RangeError('packImages: no images');
  const { pixels: pixelBytes, tmp } = packedBytes(images, size);
  const limit = gpu.limits.maxBindingBytes;
  if (pixelBytes > limit || tmp > limit) {
    throw new RangeError(`packImages: ${images.length} images need ${pixelBytes} pixel bytes and ${tmp} scratch bytes, over the ${limit}-byte binding limit; split the batch`);
  }
  const table = new Uint32Array(images.length * 8);
  const words = new Uint32Array(pixelBytes / 4);
  const bytes = new Uint8Array(words.buffer);
  let pix = 0;
  let tmpOff = 0;
  let prof = 0;
  images.forEach((im, n) => {
    if (im.rgba.length !== im.width * im.height * 4) throw new RangeError(`packImages: image ${n} has ${im.rgba.length} bytes for ${im.width}x${im.height} RGBA`);
    table.set([pix, im.width, im.height, tmpOff, prof, slots ? slots[n]! : n], n * 8);
    bytes.set(im.rgba, pix * 4);
    pix += im.width * im.height;
    tmpOff += im.height * size;
    prof += im.width + im.height;
  });
  const pixels = Tensor.empty(gpu, [Math.max(1, words.length)], 'u32', 'images');
  gpu.write(pixels.buffer, words, pixels.offset);
  const tableT = Tensor.fromArray(gpu, table, [images.length, 8], 'u32');
  return {
    count: images.length,
    slots: slots ? [...slots] : images.map((_, i) => i),
    widths: images.map((i) => i.width),
    heights: images.map((i) => i.height),
    pixels,
    table: tableT,
    tmpVec4s: tmpOff,
    tmpSize: size,
    profileWords: prof,
    release() {
      pixels.release();
      tableT.release();
    },
  };
}

/** Records the autocrop kernel; returns the boxes, (N, 4) u32 [x, y, width, height]. */
export function autocrop(gpu: Gpu, images: PackedImages, options: AutocropOptions): Tensor {
  if (!(options.fraction >= 0 && options.fraction < 1)) throw new RangeError(`autocrop: fraction ${options.fraction} is not in [0, 1)`);
  if (!Number.isInteger(options.ignoreFramePixels) || options.ignoreFramePixels < 0) throw new RangeError(`autocrop: ignoreFramePixels ${options.ignoreFramePixels} is not a count`);
  const boxes = Tensor.empty(gpu, [images.count, 4], 'u32', 'autocrop.boxes');
  const profiles = Tensor.empty(gpu, [Math.max(1, images.profileWords)], 'u32', 'autocrop.profiles');
  const uniforms = new ArrayBuffer(16);
  new Uint32Array(uniforms, 0, 3).set([images.count, MODES[options.mode], options.ignoreFramePixels]);
  new Float32Array(uniforms, 12, 1)[0] = options.fraction;
  gpu.dispatch(AUTOCROP, {
    uniforms,
    buffers: [images.pixels.binding, images.table.binding, profiles.binding, boxes.binding],
    workgroups: images.count,
  });
  // Released to the pool now: the recorded dispatch keeps the buffer until it has run.
  profiles.release();
  return boxes;
}

/** Boxes computed on the CPU (cached crops use their whole extent), uploaded. */
export function uploadBoxes(gpu: Gpu, boxes: readonly { x: number; y: number; width: number; height: number }[]): Tensor {
  return Tensor.fromArray(gpu, boxes.flatMap((b) => [b.x, b.y, b.width, b.height]), [boxes.length, 4], 'u32');
}
