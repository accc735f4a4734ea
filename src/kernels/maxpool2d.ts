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

export function maxpool2dForward(gpu: Gpu, x: Tensor, p: MaxPool2dParams): { y: Tensor; argmax: Tensor } {
  const [N, C, Ho, Wo] = maxpool2dOutShape('maxpool2dForward', x.shape, p);
  const [, , H, W] = x.shape as [number, number, number, number];
  const y = Tensor.empty(gpu, [N, C, Ho, Wo]);
  const argmax = Tensor.empty(gpu, [N, C, Ho, Wo], 'i32');
  const inS = C * H * W;
  const outS = C * Ho * Wo;
  for (const [n0, nb] of batchChunks(gpu, 'maxpool2dForward', N, [inS, outS])) {
    const rx = bindRange(x, n0 * inS, nb * inS);
    const ry = bindRange(y, n0 * outS, nb * outS);
    const ra = bindRange(argmax, n0 * outS, nb * outS);
    gpu.dispatch(FORWARD, {
      uniforms: packUniforms([nb * outS, H, W, Ho, Wo, p.kernel, p.stride, p.padding, rx.off, ry.off, ra.off]),
      buffers: [rx.binding, ry.binding, ra.binding],
      workgroups: Math.ceil((nb * outS) / 256),
    });
  }
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
  for (const [n0, nb] of batchChunks(gpu, 'maxpool2dBackward', N, [inS, outS])) {
    const rdy = bindRange(dy, n0 * outS, nb * outS);
    const ra = bindRange(argmax, n0 * outS, nb * outS);
    const rdx = bindRange(dx, n0 * inS, nb * inS);
    gpu.dispatch(BACKWARD, {
      uniforms: packUniforms([nb * inS, H, W, Ho, Wo, p.kernel, p.stride, p.padding, rdy.off, ra.off, rdx.off]),
      buffers: [rdy.binding, ra.binding, rdx.binding],
      workgroups: Math.ceil((nb * inS) / 256),
    });
  }
  return dx;
}
