// Buffer pool: GPU buffers reused by size class and usage, released explicitly.
//
// Size classes are powers of two split into quarters (256, 320, 384, 448, 512, 640, ...), so a
// buffer is at most 25 % larger than asked for. A free buffer is handed out oldest first (lowest
// creation number), not last released first: what is free then depends only on which buffers
// were released, not in what order, so a training step that acquires and releases the same
// sizes in the same order gets the same buffer for every tensor, step after step, and the
// runtime's cached bind groups keep matching (with last-in-first-out, tensors released in another
// order than acquired swapped buffers every step, and ~260 bind groups per ResNet18 step were
// created anew: most of the step's recording time).

import { Usage } from './usage.js';

export const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

export interface PoolStats {
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  peakLiveBytes: number;
  /** createBuffer calls made by the pool since it started. */
  created: number;
}

export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const pow = 2 ** Math.floor(Math.log2(bytes));
  const quarter = pow / 4;
  const size = Math.ceil(bytes / quarter) * quarter;
  return Math.ceil(size / 4) * 4;
}

export class BufferPool {
  /** Free buffers by usage and size class, each list in descending creation number (pop = oldest). */
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private readonly serial = new WeakMap<GPUBuffer, number>();
  private liveBytes = 0;
  private pooledBytes = 0;
  private pooledCount = 0;
  private peakLiveBytes = 0;
  private created = 0;
  /** Called with a buffer just before the pool destroys it (the runtime drops cached bind groups). */
  onDestroy: (buffer: GPUBuffer) => void = () => {};

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  acquire(bytes: number, usage: number = STORAGE_USAGE, label?: string): GPUBuffer {
    if (!(bytes > 0)) throw new RangeError(`BufferPool.acquire: size must be positive, got ${bytes}`);
    const size = sizeClass(bytes);
    if (size > this.maxBufferSize) {
      throw new RangeError(
        `A buffer of ${bytes} bytes exceeds this adapter's maxBufferSize (${this.maxBufferSize}); ` +
          'reduce the batch size or the image resolution.',
      );
    }
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buffer = list?.pop();
    if (buffer) {
      this.pooledBytes -= size;
      this.pooledCount--;
    } else {
      buffer = this.device.createBuffer({ size, usage, label });
      this.serial.set(buffer, this.created);
      this.created++;
    }
    this.live.add(buffer);
    this.liveBytes += size;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) {
      throw new Error(`BufferPool.release: buffer "${buffer.label}" is not live (released twice?)`);
    }
    this.liveBytes -= buffer.size;
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    // Keep the list in descending creation number: the newer buffers before it, the older after.
    const n = this.serial.get(buffer)!;
    let i = list.length;
    while (i > 0 && this.serial.get(list[i - 1]!)! < n) i--;
    list.splice(i, 0, buffer);
    this.pooledBytes += buffer.size;
    this.pooledCount++;
  }

  /** Destroys every pooled (not live) buffer. Call between phases, after pending work is submitted. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.onDestroy(buffer);
        buffer.destroy();
      }
    }
    this.free.clear();
    this.pooledBytes = 0;
    this.pooledCount = 0;
  }

  stats(): PoolStats {
    return {
      liveBuffers: this.live.size,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooledCount,
      pooledBytes: this.pooledBytes,
      peakLiveBytes: this.peakLiveBytes,
      created: this.created,
    };
  }

  resetPeak(): void {
    this.peakLiveBytes = this.liveBytes;
  }
}
