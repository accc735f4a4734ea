// Cache of decoded + cropped images, keyed by file content hash and crop settings, so later
// epochs and runs skip decoding and cropping. Memory (LRU, byte budget) with an optional
// second store (on disk in Node: cache-node.ts).
// Entries: (H, W, channels) u8, channels 1 (gray: R = G = B, opaque) or 4 (RGBA).
import type { AutocropOptions, RgbaImage } from '../reference/autocrop.js';

export interface CachedImage {
  width: number;
  height: number;
  channels: 1 | 4;
  pixels: Uint8Array;
}

/** A slower second level (disk). */
export interface CacheStore {
  get(key: string): Promise<CachedImage | null>;
  put(key: string, image: CachedImage): Promise<void>;
}

/** SHA-256 of the bytes, hex (WebCrypto: same in Node and the browser). */
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function cacheKey(hash: string, crop: AutocropOptions): string {
  return `${hash}-${crop.mode}-${crop.fraction}-${crop.ignoreFramePixels}`;
}

/** Stores gray images with one channel (scans usually are), everything else as RGBA. */
export function toCached(img: RgbaImage): CachedImage {
  const n = img.width * img.height;
  const p = img.rgba;
  let gray = true;
  for (let i = 0; i < n && gray; i++) gray = p[i * 4] === p[i * 4 + 1] && p[i * 4] === p[i * 4 + 2] && p[i * 4 + 3] === 255;
  if (!gray) return { width: img.width, height: img.height, channels: 4, pixels: p.slice() };
  const g = new Uint8Array(n);
  for (let i = 0; i < n; i++) g[i] = p[i * 4]!;
  return { width: img.width, height: img.height, channels: 1, pixels: g };
}

export function fromCached(c: CachedImage): RgbaImage {
  if (c.channels === 4) return { width: c.width, height: c.height, rgba: c.pixels };
  const n = c.width * c.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const v = c.pixels[i]!;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  return { width: c.width, height: c.height, rgba };
}

export class ImageCache {
  private readonly entries = new Map<string, CachedImage>();
  private bytes = 0;
  readonly stats = { hits: 0, diskHits: 0, misses: 0, evictions: 0 };

  constructor(
    /** Memory budget; least recently used entries go first. */
    readonly maxBytes = 1024 * 1024 * 1024,
    readonly store: CacheStore | null = null,
  ) {}

  get memoryBytes(): number {
    return this.bytes;
  }

  async get(key: string): Promise<CachedImage | null> {
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert: Map order is the LRU order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.stats.hits++;
      return hit;
    }
    const stored = this.store ? await this.store.get(key).catch(() => null) : null;
    if (stored) {
      this.stats.diskHits++;
      this.remember(key, stored);
      return stored;
    }
    this.stats.misses++;
    return null;
  }

  async put(key: string, image: CachedImage): Promise<void> {
    this.remember(key, image);
    if (this.store) await this.store.put(key, image);
  }

  private remember(key: string, image: CachedImage): void {
    if (this.entries.has(key)) return;
    if (image.pixels.byteLength > this.maxBytes) return;
    this.entries.set(key, image);
    this.bytes += image.pixels.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.pixels.byteLength;
      this.stats.evictions++;
    }
  }
}
