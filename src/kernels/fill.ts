// fill: writes one value over a tensor (zeroing gradients, NaN-poisoning test outputs).
// The kernel itself (shaders/fill.wgsl) is the runtime's, since the pool's poison mode uses it.
import { POISON_BITS, type Gpu } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';

export { POISON_BITS };

/** Fills `count` 32-bit words of `buffer` from byte `offset` with the f32 `value`. */
export function fill(gpu: Gpu, buffer: GPUBuffer, value: number, count = buffer.size / 4, offset = 0): void {
  gpu.fillWords(buffer, new Uint32Array(new Float32Array([value]).buffer)[0]!, count, offset);
}

export function fillTensor(tensor: Tensor, value: number): void {
  fill(tensor.gpu, tensor.buffer, value, tensor.size, tensor.offset);
}

export function poison(gpu: Gpu, buffer: GPUBuffer, count = buffer.size / 4, offset = 0): void {
  gpu.fillWords(buffer, POISON_BITS, count, offset);
}
