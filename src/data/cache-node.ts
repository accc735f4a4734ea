// On-disk cache store: one file per entry, `<key>.img` = 16-byte header (magic, width, height,
// channels as u32 LE) + pixels. Writes go to a temp name then rename, so a crash leaves no half file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CachedImage, CacheStore } from './cache.js';

const MAGIC = 0x31494d42; // "BMI1"

export class DiskCacheStore implements CacheStore {
  private ready: Promise<unknown> | null = null;
  constructor(readonly dir: string) {}

  async get(key: string): Promise<CachedImage | null> {
    let buf: Buffer;
    try {
      buf = await readFile(join(this.dir, `${key}.img`));
    } catch {
      return null;
    }
    if (buf.byteLength < 16) return null;
    const h = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 16));
    const [magic, width, height, channels] = [h[0]!, h[1]!, h[2]!, h[3]!];
    if (magic !== MAGIC || (channels !== 1 && channels !== 4) || buf.byteLength !== 16 + width * height * channels) return null;
    return { width, height, channels, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, width * height * channels) };
  }

  async put(key: string, image: CachedImage): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    const out = Buffer.alloc(16 + image.pixels.byteLength);
    new Uint32Array(out.buffer, out.byteOffset, 4).set([MAGIC, image.width, image.height, image.channels]);
    out.set(image.pixels, 16);
    const tmp = join(this.dir, `${key}.${process.pid}.tmp`);
    await writeFile(tmp, out);
    await rename(tmp, join(this.dir, `${key}.img`));
  }
}
