// Batches for training and evaluation: read + hash + decode on the CPU (prefetched while the
// previous batch trains), then autocrop, resize, augment and normalise on the GPU. With a
// ResizedCache, an image seen before is its resized crop, copied on the GPU: no read, hash,
// decode, upload or resize (augmentation comes after the resize, so it is still drawn anew).
// Output images: (N, 3, S, S) f32, ImageNet-normalised; labels: (N) i32 on the CPU.
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { autocrop, packedBytes, packImages, uploadBoxes } from '../kernels/autocrop.js';
import { augmentNormalize, resizeInto } from '../kernels/resample.js';
import { cropImage, DEFAULT_AUTOCROP, type AutocropOptions, type CropBox, type RgbaImage } from '../reference/autocrop.js';
import { IDENTITY_AUGMENT } from '../reference/resample.js';
import { Rng } from '../reference/random.js';
import { drawAugment, packAugment, type AugmentOptions } from './augment.js';
import { cacheKey, contentHash, fromCached, toCached, type ImageCache } from './cache.js';
import type { ImageDecoder } from './image.js';
import type { DatasetItem } from './scan.js';

export interface LoaderOptions {
  /** Reads a dataset file by its root-relative path. */
  read: (path: string) => Promise<Uint8Array>;
  decoder: ImageDecoder;
  /** Training resolution S. */
  size: number;
  batchSize: number;
  /** Shuffle each epoch (seeded by seed and epoch); otherwise dataset order. */
  shuffle: boolean;
  seed: number;
  crop?: AutocropOptions;
  /** Random augmentation (training); null: none (evaluation). */
  augment?: AugmentOptions | null;
  cache?: ImageCache | null;
  /** Resized crops kept on the GPU (its size must be this loader's); shared by a run's loaders. */
  resized?: ResizedCache | null;
  /** Batches prepared ahead on the CPU (default 1). */
  prefetch?: number;
  /** Files read and decoded at once (default 4). */
  concurrency?: number;
  /** Told once per file that cannot be read or decoded (it is left out from then on). */
  onError?: (path: string, reason: string) => void;
}

export interface Batch {
  /** (N, 3, S, S) f32, normalised; the caller releases it. */
  images: Tensor;
  /** (N) label indices, in the order of `items`. */
  labels: Int32Array;
  items: DatasetItem[];
  /** Files of this batch that failed (left out of it). */
  failed: { path: string; reason: string }[];
  epoch: number;
  index: number;
}

interface Prepared {
  items: DatasetItem[];
  /** Decoded images needing a crop, cached crops (box = whole image), or resized crops on the GPU. */
  images: ({ image: RgbaImage; cached: boolean; key: string | null } | { resized: Tensor; key: string })[];
  failed: { path: string; reason: string }[];
}

/**
 * Resized crops, (3, S, S) f32 each, kept on the GPU by image key (content hash and crop
 * settings) for a run: later epochs copy them instead of reading, hashing, decoding, uploading
 * and resizing the file again. The resize is deterministic, so batches are bit-identical to the
 * uncached path. It fills up to its byte budget and then stops adding (no eviction: what an epoch
 * found cached, the next finds too). Files are taken not to change during the run: a path is read
 * and hashed once, the first time it is loaded. `dispose` gives the memory back.
 */
export class ResizedCache {
  private readonly entries = new Map<string, Tensor>();
  private readonly keyByPath = new Map<string, string>();
  private bytes = 0;
  readonly stats = { hits: 0, stored: 0, full: 0 };

  constructor(
    readonly gpu: Gpu,
    /** Crop side S. */
    readonly size: number,
    readonly budgetBytes: number,
  ) {}

  /** The resized crop of a file already seen, if kept. */
  byPath(path: string): { key: string; resized: Tensor } | null {
    const key = this.keyByPath.get(path);
    const resized = key === undefined ? undefined : this.entries.get(key);
    if (key === undefined || !resized) return null;
    this.stats.hits++;
    return { key, resized };
  }

  /** The resized crop with this image key, if kept; remembers the path's key either way. */
  byKey(path: string, key: string): Tensor | null {
    this.keyByPath.set(path, key);
    const t = this.entries.get(key);
    if (t) this.stats.hits++;
    return t ?? null;
  }

  /** Records a copy of slot `slot` of `batch` (N, 3, S, S) as the entry for `key`, budget allowing. */
  store(key: string, batch: Tensor, slot: number): void {
    if (this.entries.has(key)) return;
    const bytes = 3 * this.size * this.size * 4;
    if (this.bytes + bytes > this.budgetBytes) {
      this.stats.full++;
      return;
    }
    const t = Tensor.empty(this.gpu, [3, this.size, this.size], 'f32', 'loader.resized');
    this.gpu.copy(batch.buffer, batch.offset + slot * bytes, t.buffer, t.offset, bytes);
    this.entries.set(key, t);
    this.bytes += bytes;
    this.stats.stored++;
  }

  dispose(): void {
    for (const t of this.entries.values()) t.release();
    this.entries.clear();
    this.keyByPath.clear();
    this.bytes = 0;
  }
}

export class DataLoader {
  private readonly crop: AutocropOptions;
  private readonly bad = new Map<string, string>();
  /** Cache writes in flight (boxes being read back); awaited by `flush`. */
  private readonly pendingCache = new Set<Promise<void>>();
  readonly timing = { cpuMs: 0, waitMs: 0, batches: 0, images: 0 };

  constructor(
    readonly gpu: Gpu,
    readonly items: readonly DatasetItem[],
    readonly options: LoaderOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new RangeError(`DataLoader: batchSize ${options.batchSize} must be >= 1`);
    if (!(options.size >= 1)) throw new RangeError(`DataLoader: size ${options.size} must be >= 1`);
    if (options.resized && options.resized.size !== options.size) throw new RangeError(`DataLoader: resized cache of size ${options.resized.size} for a loader of size ${options.size}`);
    this.crop = options.crop ?? DEFAULT_AUTOCROP;
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.items.length / this.options.batchSize);
  }

  /** Item order of an epoch: dataset order, or a seeded shuffle. */
  order(epoch: number): DatasetItem[] {
    const items = [...this.items];
    return this.options.shuffle ? new Rng(mix(this.options.seed, epoch, 0x5eed)).shuffle(items) : items;
  }

  /**
   * The batches of one epoch (the last partial batch kept). GPU work for a batch is recorded
   * when it is yielded; the next batch's files are read and decoded meanwhile.
   */
  async *epoch(epoch: number): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const bs = this.options.batchSize;
    const chunks: DatasetItem[][] = [];
    for (let i = 0; i < order.length; i += bs) chunks.push(order.slice(i, i + bs));
    const ahead = Math.max(1, this.options.prefetch ?? 1);
    const queue: Promise<Prepared>[] = [];
    let next = 0;
    const fill = () => {
      while (queue.length < ahead + 1 && next < chunks.length) queue.push(this.prepare(chunks[next++]!));
    };
    fill();
    for (let index = 0; index < chunks.length; index++) {
      const t0 = performance.now();
      const prepared = await queue.shift()!;
      this.timing.waitMs += performance.now() - t0;
      fill();
      if (prepared.images.length === 0) continue; // every file failed: reported already
      const images = this.upload(prepared, epoch, index);
      this.timing.batches++;
      this.timing.images += prepared.items.length;
      yield { images, labels: Int32Array.from(prepared.items, (it) => it.label), items: prepared.items, failed: prepared.failed, epoch, index };
    }
  }

  /** Waits for cache entries still being written (call before measuring or exiting). */
  async flush(): Promise<void> {
    while (this.pendingCache.size > 0) await Promise.all([...this.pendingCache]);
  }

  /** Files that failed so far, with why. */
  get failures(): { path: string; reason: string }[] {
    return [...this.bad].map(([path, reason]) => ({ path, reason }));
  }

  // CPU stage: read, hash, look up the cache, decode what is missing.
  private async prepare(chunk: DatasetItem[]): Promise<Prepared> {
    const t0 = performance.now();
    const results: (Prepared['images'][number] | { error: string })[] = new Array(chunk.length);
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    let cursor = 0;
    const worker = async () => {
      while (cursor < chunk.length) {
        const i = cursor++;
        results[i] = await this.load(chunk[i]!).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chunk.length) }, worker));
    const prepared: Prepared = { items: [], images: [], failed: [] };
    chunk.forEach((item, i) => {
      const r = results[i]!;
      if ('error' in r) {
        prepared.failed.push({ path: item.path, reason: r.error });
        if (!this.bad.has(item.path)) {
          this.bad.set(item.path, r.error);
          this.options.onError?.(item.path, r.error);
        }
      } else {
        prepared.items.push(item);
        prepared.images.push(r);
      }
    });
    this.timing.cpuMs += performance.now() - t0;
    return prepared;
  }

  private async load(item: DatasetItem): Promise<Prepared['images'][number]> {
    const known = this.bad.get(item.path);
    if (known) throw new Error(known);
    const resized = this.options.resized;
    const seen = resized?.byPath(item.path);
    if (seen) return seen;
    let bytes: Uint8Array;
    try {
      bytes = await this.options.read(item.path);
    } catch (err) {
      throw new Error(`${item.path}: cannot read (${err instanceof Error ? err.message : String(err)})`);
    }
    const cache = this.options.cache;
    let key: string | null = null;
    if (cache || resized) {
      key = cacheKey(await contentHash(bytes), this.crop);
      const kept = resized?.byKey(item.path, key);
      if (kept) return { resized: kept, key };
    }
    if (cache && key) {
      const hit = await cache.get(key);
      if (hit) return { image: fromCached(hit), cached: true, key };
    }
    const image = await this.options.decoder.decode(bytes, item.path);
    return { image, cached: false, key };
  }

  // GPU stage: pack (split by binding size), crop boxes, resize into one tensor, augment.
  private upload(prepared: Prepared, epoch: number, index: number): Tensor {
    const gpu = this.gpu;
    const S = this.options.size;
    const n = prepared.images.length;
    const base = Tensor.empty(gpu, [n, 3, S, S], 'f32', 'loader.base');
    const groups = new Map<string, number[]>();
    const decoded = (i: number) => prepared.images[i] as { image: RgbaImage; cached: boolean; key: string | null };
    const perImage = 3 * S * S * 4;
    // Resized crops are copied in; fresh images go through autocrop; cached crops are used whole.
    prepared.images.forEach((im, i) => {
      if ('resized' in im) {
        gpu.copy(im.resized.buffer, im.resized.offset, base.buffer, base.offset + i * perImage, perImage);
        return;
      }
      const kind = im.cached ? 'cached' : 'fresh';
      groups.set(kind, [...(groups.get(kind) ?? []), i]);
    });
    for (const [kind, members] of groups) {
      for (const part of splitByBinding(members, (i) => decoded(i).image, S, gpu.limits.maxBindingBytes)) {
        const imgs = part.map((i) => decoded(i).image);
        const packed = packImages(gpu, imgs, S, part);
        let boxes: Tensor;
        if (kind === 'cached') boxes = uploadBoxes(gpu, imgs.map((im) => ({ x: 0, y: 0, width: im.width, height: im.height })));
        else boxes = autocrop(gpu, packed, this.crop);
        resizeInto(gpu, packed, boxes, base);
        if (kind === 'fresh' && this.options.cache) this.cacheCrops(boxes, part.map((i) => decoded(i)));
        else boxes.release();
        packed.release();
        const resized = this.options.resized;
        if (resized) for (const i of part) if (decoded(i).key) resized.store(decoded(i).key!, base, i);
      }
    }
    const aug = this.options.augment;
    const rng = new Rng(mix(this.options.seed, epoch, index));
    const params = prepared.items.map(() => (aug ? drawAugment(rng, S, aug) : IDENTITY_AUGMENT));
    const out = augmentNormalize(gpu, base, packAugment(params));
    base.release();
    return out;
  }

  /** Reads the boxes back without blocking the batch, then stores the crops. */
  private cacheCrops(boxes: Tensor, images: { image: RgbaImage; key: string | null }[]): void {
    const cache = this.options.cache!;
    const job = boxes
      .toArray()
      .then(async (b) => {
        await Promise.all(
          images.map((im, k) => {
            const box: CropBox = { x: b[k * 4]!, y: b[k * 4 + 1]!, width: b[k * 4 + 2]!, height: b[k * 4 + 3]! };
            return im.key ? cache.put(im.key, toCached(cropImage(im.image, box))) : undefined;
          }),
        );
      })
      // The cache only saves work: a crop that could not be read back or stored (device gone,
      // disk full) is decoded and cropped again next time, so the failure is not the run's.
      .catch(() => undefined)
      .finally(() => {
        boxes.release();
        this.pendingCache.delete(job);
      });
    this.pendingCache.add(job);
  }
}

/** Groups image indices so each group's pixels and resize scratch fit one storage binding. */
export function splitByBinding(indices: readonly number[], imageOf: (i: number) => { width: number; height: number }, size: number, maxBytes: number): number[][] {
  const parts: number[][] = [];
  let cur: number[] = [];
  let pix = 0;
  let tmp = 0;
  for (const i of indices) {
    const b = packedBytes([imageOf(i)], size);
    if (b.pixels > maxBytes || b.tmp > maxBytes) {
      const im = imageOf(i);
      throw new RangeError(`image ${im.width}x${im.height} alone exceeds the ${maxBytes}-byte storage binding limit`);
    }
    if (cur.length > 0 && (pix + b.pixels > maxBytes || tmp + b.tmp > maxBytes)) {
      parts.push(cur);
      cur = [];
      pix = 0;
      tmp = 0;
    }
    cur.push(i);
    pix += b.pixels;
    tmp += b.tmp;
  }
  if (cur.length > 0) parts.push(cur);
  return parts;
}

function mix(seed: number, a: number, b: number): number {
  let h = (seed ^ 0x2545f491) >>> 0;
  h = Math.imul(h ^ (a + 0x9e3779b9), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (b + 0x7f4a7c15), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
