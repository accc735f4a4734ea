// Global average pooling (ResNet18's AdaptiveAvgPool2d(1) followed by flatten).
// x, dx: (N, C, H, W) f32; y, dy: (N, C) f32. Split along the batch to fit bindings.
import type { Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { batchChunks, bindRange, packUniforms } from './elementwise.js';
import forwardSrc from '../../shaders/avgpool.forward.wgsl';
import backwardSrc from '../../shaders/avgpool.backward.wgsl';

const FORWARD: Kernel = { name: 'avgpool.forward', source: forwardSrc };
const BACKWARD: Kernel = { name: 'avgpool.backward', source: backwardSrc };

export function globalAvgPoolForward(gpu: Gpu, x: Tensor): Tensor {
  if (x.shape.length !== 4) throw new RangeError(`globalAvgPoolForward: x must be (N, C, H, W), got ${shapeString(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const HW = H * W;
  const y = Tensor.empty(gpu, [N, C]);
  for (const [n0, nb] of batchChunks(gpu, 'globalAvgPoolForward', N, [C * HW])) {
    const rx = bindRange(x, n0 * C * HW, nb * C * HW);
    const ry = bindRange(y, n0 * C, nb * C);
    gpu.dispatch(FORWARD, {
      uniforms: packUniforms([nb * C, HW, rx.off, ry.off]),
      buffers: [rx.binding, ry.binding],
      workgroups: Math.ceil((nb * C) / 64),
    });
  }
  return y;
}

export function globalAvgPoolBackward(gpu: Gpu, dy: Tensor, xShape: readonly number[]): Tensor {
  if (xShape.length !== 4 || dy.shape.length !== 2 || dy.shape[0] !== xShape[0] || dy.shape[1] !== xShape[1])
    throw new RangeError(`globalAvgPoolBackward: dy ${shapeString(dy.shape)} must be (N, C) of x ${shapeString(xShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const HW = H * W;
  const dx = Tensor.empty(gpu, xShape);
  for (const [n0, nb] of batchChunks(gpu, 'globalAvgPoolBackward', N, [C * HW])) {
    const rdy = bindRange(dy, n0 * C, nb * C);
    const rdx = bindRange(dx, n0 * C * HW, nb * C * HW);
    gpu.dispatch(BACKWARD, {
      uniforms: packUniforms([nb * C * HW, HW, rdy.off, rdx.off]),
      buffers: [rdy.binding, rdx.binding],
      workgroups: Math.ceil((nb * C * HW) / 256),
    });
  }
  return dx;
}
