// Tensor: a pooled GPU buffer plus a shape. Contiguous, row-major (last index fastest).
import type { Gpu } from './runtime.js';

export type DType = 'f32' | 'i32' | 'u32';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Elements of a tensor known to be exactly zero: in every consecutive `period` elements only the
 * `live` runs ([first, count], ascending, within the period) may be nonzero. A weight gradient
 * whose kernel taps see only padding (ResNet18's layer4 at 1x1) is the case in point; the
 * optimiser then defers the work on those elements (src/nn/optim.ts).
 */
export interface ZeroPattern {
  readonly period: number;
  readonly live: readonly (readonly [number, number])[];
}

/** A tensor's readback recorded into a step (Tensor.readAfterStep). */
export interface PendingArray {
  result(): Promise<Float32Array | Int32Array | Uint32Array>;
}

export class Tensor {
  readonly size: number;
  private released = false;
  /**
   * What the op that wrote this tensor guarantees is zero (null: nothing). A promise about the
   * contents the op left: code that writes the tensor again must reset it.
   */
  knownZeros: ZeroPattern | null = null;

  private constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** For a view: the tensor that owns the buffer. */
    private readonly owner: Tensor | null = null,
    /** Byte offset of element 0 in `buffer`; a multiple of 256 (storage binding alignment). */
    readonly offset = 0,
  ) {
    this.size = numel(shape);
  }

  /** The storage binding covering exactly this tensor's elements. Kernels bind this. */
  get binding(): { buffer: GPUBuffer; offset: number; size: number } {
    return { buffer: this.buffer, offset: this.offset, size: Math.max(4, this.size * 4) };
  }

  /**
   * A view of `shape` starting `byteOffset` bytes into this tensor's buffer region (a multiple
   * of 256). Used to lay many parameters out in one buffer so one dispatch updates them all.
   */
  subView(byteOffset: number, shape: readonly number[]): Tensor {
    if (byteOffset % 256 !== 0) throw new RangeError(`subView offset ${byteOffset} is not a multiple of 256`);
    const n = numel(shape);
    if (byteOffset + n * 4 > this.offset + this.buffer.size) throw new RangeError(`subView ${shapeString(shape)} at ${byteOffset} overruns the buffer`);
    return new Tensor(this.gpu, this.buffer, [...shape], this.dtype, this.owner ?? this, this.offset + byteOffset);
  }

  /** Uninitialised tensor (pooled memory: contents are whatever was there). */
  static empty(gpu: Gpu, shape: readonly number[], dtype: DType = 'f32', label?: string): Tensor {
    const n = numel(shape);
    return new Tensor(gpu, gpu.acquire(Math.max(4, n * 4), label), [...shape], dtype);
  }

  static fromArray(gpu: Gpu, data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const n = numel(shape);
    if (data.length !== n) throw new RangeError(`Tensor.fromArray: ${data.length} values for shape ${shapeString(shape)} (${n})`);
    const t = Tensor.empty(gpu, shape, dtype);
    const typed = dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
    if (n > 0) gpu.write(t.buffer, typed, t.offset);
    return t;
  }

  /** Uploads new contents (same size). */
  write(data: ArrayLike<number>): void {
    this.assertLive();
    if (data.length !== this.size) throw new RangeError(`Tensor.write: ${data.length} values for ${this.size} elements`);
    const typed = this.dtype === 'f32' ? Float32Array.from(data) : this.dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
    this.gpu.write(this.buffer, typed, this.offset);
  }

  /** Wraps a buffer the caller owns; `release` will return it to the pool. */
  static adopt(gpu: Gpu, buffer: GPUBuffer, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return new Tensor(gpu, buffer, [...shape], dtype);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get isReleased(): boolean {
    return this.owner ? this.owner.isReleased : this.released;
  }

  /** A tensor viewing the same buffer with another shape of equal size (no copy; shares lifetime). */
  reshapeView(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) throw new RangeError(`cannot view ${shapeString(this.shape)} as ${shapeString(shape)}`);
    return new Tensor(this.gpu, this.buffer, [...shape], this.dtype, this.owner ?? this, this.offset);
  }

  async toArray(): Promise<Float32Array | Int32Array | Uint32Array> {
    this.assertLive();
    return this.typed(await this.gpu.read(this.buffer, this.offset, this.byteLength));
  }

  /**
   * Records a copy of this tensor at the end of the open step (Gpu.readAfterStep): the tensor may
   * be released at once, and `result()`, after the step's submit, waits for that step only.
   */
  readAfterStep(): PendingArray {
    this.assertLive();
    const pending = this.gpu.readAfterStep(this.buffer, this.offset, this.byteLength);
    return { result: async () => this.typed(await pending.result()) };
  }

  /** Bytes read back, as an array of this tensor's dtype. */
  private typed(bytes: ArrayBuffer): Float32Array | Int32Array | Uint32Array {
    return this.dtype === 'f32' ? new Float32Array(bytes) : this.dtype === 'i32' ? new Int32Array(bytes) : new Uint32Array(bytes);
  }

  async toFloat32(): Promise<Float32Array> {
    const a = await this.toArray();
    return a instanceof Float32Array ? a : Float32Array.from(a);
  }

  /** Returns the buffer to the pool. A view releases nothing (its owner does). */
  release(): void {
    if (this.owner) return;
    if (this.released) throw new Error(`tensor ${shapeString(this.shape)} released twice`);
    this.released = true;
    this.gpu.release(this.buffer);
  }

  assertLive(): void {
    if (this.isReleased) throw new Error(`tensor ${shapeString(this.shape)} used after release`);
  }
}
