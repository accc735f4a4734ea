// 2-D max pooling (PyTorch MaxPool2d: dilation 1, ceil_mode off).
// x, dx: (N, C, H, W) f32; y, dy: (N, C, Ho, Wo) f32; argmax: (N, C, Ho, Wo) i32, the flat
// index h * W + w of the chosen input in its plane. Split along the batch to fit bindings.
import type { Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { batchChunks, bindRange, packUniforms } from './elementwise.js';
import forwardSrc from '../../shaders/maxpool2d.forward.wgsl';
import backwardSrc from '../../shaders/maxpool2d.backward.wgsl';

export interface MaxPool2dParams {
  kernel: number;
  stride: number;
  padding: number;
}

const FORWARD: Kernel = { name: 'maxpool2d.forward', source: forwardSrc };
const BACKWARD: Kernel = { name: 'maxpool2d.backward', source: backwardSrc };

export function maxpool2dOutShape(op: string, xShape: readonly number[], p: MaxPool2dParams): [number, number, number, number] {
  if (xShape.length !== 4) throw new RangeError(`${op}: x must be (N, C, H, W), got ${shapeString(xShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  if (!(p.kernel >= 1 && p.stride >= 1 && p.padding >= 0 && p.padding * 2 <= p.kernel))
    throw new RangeError(`${op}: kernel ${p.kernel}, stride ${p.stride}, padding ${p.padding} (padding must be at most half the kernel)`);
  const Ho = Math.floor((H + 2 * p.padding - p.kernel) / p.stride) + 1;
  const Wo = Math.floor((W + 2 * p.padding - p.kernel) / p.stride) + 1;
  if (Ho < 1 || Wo < 1) throw new RangeError(`${op}: input ${shapeString(xShape)} is smaller than the ${p.kernel}x${p.kernel} window`);
  return [N, C, Ho, Wo];
}

/**
 * Records `kernel` over batch chunks: one invocation per element of the tensor whose per-image
 * size is `perImage` (the one the kernel writes), the three tensors bound at their chunk in the
 * kernel's binding order, each with its per-image size; both passes share the uniform layout
 * (count, H, W, Ho, Wo, kernel, stride, padding, three element offsets).
 */
function dispatchChunks(
  gpu: Gpu, kernel: Kernel, op: string, N: number, dims: readonly [number, number, number, number], p: MaxPool2dParams,
  perImage: number, tensors: readonly (readonly [Tensor, number])[],
): void {
  for (const [n0, nb] of batchChunks(gpu, op, N, tensors.map(([, s]) => s))) {
    const ranges = tensors.map(([t, s]) => bindRange(t, n0 * s, nb * s));
    gpu.dispatch(kernel, {
      uniforms: packUniforms([nb * perImage, ...dims, p.kernel, p.stride, p.padding, ...ranges.map((r) => r.off)]),
      buffers: ranges.map((r) => r.binding),
      workgroups: Math.ceil((nb * perImage) / 256),
    });
  }
}

export function maxpool2dForward(gpu: Gpu, x: Tensor, p: MaxPool2dParams): { y: Tensor; argmax: Tensor } {
  const [N, C, Ho, Wo] = maxpool2dOutShape('maxpool2dForward', x.shape, p);
  const [, , H, W] = x.shape as [number, number, number, number];
  const y = Tensor.empty(gpu, [N, C, Ho, Wo]);
  const argmax = Tensor.empty(gpu, [N, C, Ho, Wo], 'i32');
  const inS = C * H * W;
  const outS = C * Ho * Wo;
  dispatchChunks(gpu, FORWARD, 'maxpool2dForward', N, [H, W, Ho, Wo], p, outS, [[x, inS], [y, outS], [argmax, outS]]);
  return { y, argmax };
}

export function maxpool2dBackward(gpu: Gpu, dy: Tensor, argmax: Tensor, xShape: readonly number[], p: MaxPool2dParams): Tensor {
  const outShape = maxpool2dOutShape('maxpool2dBackward', xShape, p);
  if (dy.size !== argmax.size || dy.shape.join() !== outShape.join())
    throw new RangeError(`maxpool2dBackward: dy ${shapeString(dy.shape)} and argmax ${shapeString(argmax.shape)} must be ${shapeString(outShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [, , Ho, Wo] = outShape;
  const dx = Tensor.empty(gpu, xShape);
  const inS = C * H * W;
  const outS = C * Ho * Wo;
  dispatchChunks(gpu, BACKWARD, 'maxpool2dBackward', N, [H, W, Ho, Wo], p, inS, [[dy, outS], [argmax, outS], [dx, inS]]);
  return dx;
}
