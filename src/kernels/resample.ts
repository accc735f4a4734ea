// resize + augment: packed RGBA8 crops -> (N, 3, S, S) f32 in [0, 1] -> augmented, normalised.
// pixels/table: see autocrop.ts; boxes: (N, 4) u32; tmp: per image (H, S) vec4 f32
// resized: (N, 3, S, S) f32 in [0, 1]; params: (N, 8) f32; out: (N, 3, S, S) f32 normalised
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import type { PackedImages } from './autocrop.js';
import resizeHSource from '../../shaders/resize.horizontal.wgsl';
import resizeVSource from '../../shaders/resize.vertical.wgsl';
import augmentSource from '../../shaders/augment.wgsl';
import resizeCommon from '../../shaders/lib/resize_common.wgsl';

const RESIZE_LIB = { resize_common: resizeCommon };
const RESIZE_H = kernelWithIncludes({ name: 'resize.horizontal', source: resizeHSource }, RESIZE_LIB);
const RESIZE_V = kernelWithIncludes({ name: 'resize.vertical', source: resizeVSource }, RESIZE_LIB);
const AUGMENT: Kernel = { name: 'augment', source: augmentSource };

function checkGrid(gpu: Gpu, op: string, x: number, y: number): void {
  const max = gpu.limits.maxWorkgroupsPerDimension;
  if (x > max || y > max) throw new RangeError(`${op}: dispatch (${x}, ${y}) exceeds ${max} workgroups per dimension (image too tall or batch too large)`);
}

/**
 * Records the antialiased resize of each image's box to S x S into `out` (N_out, 3, S, S) at
 * batch index images.slots[n] (so a batch split by binding size, or cached and fresh images
 * packed apart, fill one tensor in order).
 */
export function resizeInto(gpu: Gpu, images: PackedImages, boxes: Tensor, out: Tensor): void {
  const s = images.tmpSize;
  if (boxes.shape.length !== 2 || boxes.shape[0] !== images.count || boxes.shape[1] !== 4) throw new RangeError(`resize: boxes ${JSON.stringify(boxes.shape)} for ${images.count} images`);
  const maxSlot = Math.max(...images.slots);
  if (out.shape.length !== 4 || out.shape[1] !== 3 || out.shape[2] !== s || out.shape[3] !== s || out.shape[0]! <= maxSlot) {
    throw new RangeError(`resize: output [${out.shape.join(', ')}] cannot hold batch slot ${maxSlot} at ${s}x${s}`);
  }
  const tmp = Tensor.empty(gpu, [Math.max(1, images.tmpVec4s * 4)], 'f32', 'resize.tmp');
  const uniforms = new Uint32Array([images.count, s, 0, 0]);
  const tb = images.table.binding;
  const maxH = Math.max(...images.heights);
  const gx = Math.ceil((maxH * s) / 64);
  checkGrid(gpu, 'resize', gx, images.count);
  gpu.dispatch(RESIZE_H, { uniforms, buffers: [images.pixels.binding, tb, boxes.binding, tmp.binding], workgroups: [gx, images.count] });
  gpu.dispatch(RESIZE_V, { uniforms, buffers: [tb, boxes.binding, tmp.binding, out.binding], workgroups: [Math.ceil((s * s) / 64), images.count] });
  tmp.release();
}

export function resize(gpu: Gpu, images: PackedImages, boxes: Tensor): Tensor {
  const s = images.tmpSize;
  const out = Tensor.empty(gpu, [images.count, 3, s, s], 'f32', 'resize.out');
  resizeInto(gpu, images, boxes, out);
  return out;
}

/** Records augmentation + normalisation; `params` is (N, 8) f32 (see src/data/augment.ts packAugment). */
export function augmentNormalize(gpu: Gpu, base: Tensor, params: Float32Array): Tensor {
  const [n, c, s, s2] = base.shape as [number, number, number, number];
  if (base.shape.length !== 4 || c !== 3 || s !== s2) throw new RangeError(`augment: input [${base.shape.join(', ')}] is not (N, 3, S, S)`);
  if (params.length !== n * 8) throw new RangeError(`augment: ${params.length} parameters for ${n} images (8 each)`);
  const p = Tensor.empty(gpu, [n, 8], 'f32', 'augment.params');
  gpu.write(p.buffer, params, p.offset);
  const out = Tensor.empty(gpu, [n, 3, s, s], 'f32', 'augment.out');
  const gx = Math.ceil((s * s) / 64);
  checkGrid(gpu, 'augment', gx, n);
  gpu.dispatch(AUGMENT, { uniforms: new Uint32Array([n, s]), buffers: [base.binding, p.binding, out.binding], workgroups: [gx, n] });
  p.release();
  return out;
}
