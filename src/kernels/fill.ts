// fill: writes one 32-bit pattern over a buffer (zeroing gradients, NaN-poisoning test outputs).
import fillSource from '../../shaders/fill.wgsl';
import type { Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';

const fillKernel: Kernel = { name: 'fill', source: fillSource };
const WORKGROUP = 256;

/** Fills `count` 32-bit words of `buffer` from `offset` (bytes) with `value` (as f32). */
export function fill(gpu: Gpu, buffer: GPUBuffer, value: number, count = buffer.size / 4, offset = 0): void {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  fillBits(gpu, buffer, bits, count, offset);
}

/** NaN with a recognisable payload: an element still holding it was never written. */
export const POISON_BITS = 0x7fc0dead;

export function fillBits(gpu: Gpu, buffer: GPUBuffer, bits: number, count = buffer.size / 4, offset = 0): void {
  // Split so no binding exceeds the device's storage binding limit.
  const maxWords = Math.floor(gpu.limits.maxBindingBytes / 4 / WORKGROUP) * WORKGROUP;
  for (let start = 0; start < count; start += maxWords) {
    const n = Math.min(maxWords, count - start);
    gpu.dispatch(fillKernel, {
      uniforms: new Uint32Array([n, bits >>> 0]),
      buffers: [{ buffer, offset: offset + start * 4, size: n * 4 }],
      workgroups: Math.ceil(n / WORKGROUP),
    });
  }
}

export function poison(gpu: Gpu, buffer: GPUBuffer, count = buffer.size / 4): void {
  fillBits(gpu, buffer, POISON_BITS, count);
}
