// Loader end to end on small files: GPU batches equal the CPU reference pipeline, bad files are
// reported by path, the cache returns the same batches, seeds reproduce augmented batches.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { DEFAULT_AUGMENT } from '../../src/data/augment.js';
import { ImageCache } from '../../src/data/cache.js';
import { DataLoader, ResizedCache, type LoaderOptions } from '../../src/data/loader.js';
import { DiskCacheStore, fileReader, NodeImageDecoder, scanDataRoot } from '../../src/data/node.js';
import type { DatasetItem } from '../../src/data/scan.js';
import { encodeJpeg, renderSlice } from '../../src/data/synth.js';
import { autocropBox, DEFAULT_AUTOCROP } from '../../src/reference/autocrop.js';
import { Rng } from '../../src/reference/random.js';
import { augmentReference, IDENTITY_AUGMENT, resizeReference } from '../../src/reference/resample.js';
import { relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const S = 32;
let root = '';
let items: DatasetItem[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'brainmri-loader-'));
  const folders = ['Glioma', 'Normal', 'bad files'];
  for (const f of folders) await mkdir(join(root, f));
  let k = 0;
  for (const [type, folder, n] of [['Glioblastoma', 'Glioma', 3], ['Normal', 'Normal', 3], ['Meningioma', 'bad files', 1]] as const) {
    for (let i = 0; i < n; i++) {
      const slice = renderSlice(type, i % 2 ? 'T2' : 'T1', new Rng(100 + k++));
      await writeFile(join(root, folder, `scan (${i}).jpg`), await encodeJpeg(slice, i % 2 === 0));
    }
  }
  // A PNG too, and three broken files beside a good one.
  const png = await sharp(Buffer.alloc(40 * 30 * 3, 90), { raw: { width: 40, height: 30, channels: 3 } }).png().toBuffer();
  await writeFile(join(root, 'Normal', 'flat.PNG'), png);
  await writeFile(join(root, 'bad files', 'corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 2, 3]));
  await writeFile(join(root, 'bad files', 'empty.jpeg'), Buffer.alloc(0));
  const big = await sharp(new Uint8Array(64 * 64 * 3).map((_, i) => (i * 31) % 256), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
  await writeFile(join(root, 'bad files', 'truncated.png'), big.subarray(0, big.length >> 1));
  items = (await scanDataRoot(root, 'folders')).dataset.items;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function options(extra: Partial<LoaderOptions> = {}): LoaderOptions {
  return { read: fileReader(root), decoder: new NodeImageDecoder(), size: S, batchSize: 3, shuffle: false, seed: 1, augment: null, ...extra };
}

async function collect(loader: DataLoader, epoch: number): Promise<{ paths: string[]; labels: number[]; data: Float32Array[]; failed: string[] }> {
  const out = { paths: [] as string[], labels: [] as number[], data: [] as Float32Array[], failed: [] as string[] };
  for await (const b of loader.epoch(epoch)) {
    expect(b.images.shape).toEqual([b.items.length, 3, S, S]);
    out.paths.push(...b.items.map((it) => it.path));
    out.labels.push(...b.labels);
    out.failed.push(...b.failed.map((f) => f.path));
    out.data.push((await b.images.toArray()) as Float32Array);
    b.images.release();
  }
  return out;
}

const bytesOf = (list: Float32Array[]) => Buffer.concat(list.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));

describe('DataLoader', () => {
  it('batches in dataset order equal the CPU reference; bad files are reported by path and left out', async () => {
    expect(items).toHaveLength(11);
    const errors: string[] = [];
    const loader = new DataLoader(gpu(), items, options({ onError: (path, reason) => errors.push(`${path}: ${reason}`) }));
    const got = await collect(loader, 0);
    expect(errors.map((e) => e.split(':')[0]).sort()).toEqual(['bad files/corrupt.jpg', 'bad files/empty.jpeg', 'bad files/truncated.png']);
    expect(got.failed.sort()).toEqual(['bad files/corrupt.jpg', 'bad files/empty.jpeg', 'bad files/truncated.png']);
    const good = items.filter((it) => !got.failed.includes(it.path));
    expect(got.paths).toEqual(good.map((it) => it.path));
    expect(got.labels).toEqual(good.map((it) => it.label));
    const flat = Float32Array.from(got.data.flatMap((a) => [...a]));
    const decoder = new NodeImageDecoder();
    const read = fileReader(root);
    const plane = 3 * S * S;
    for (const [n, it] of good.entries()) {
      const img = await decoder.decode(await read(it.path), it.path);
      const ref = augmentReference(resizeReference(img, autocropBox(img, DEFAULT_AUTOCROP), S), S, IDENTITY_AUGMENT);
      expect(relError(flat.subarray(n * plane, (n + 1) * plane), ref), it.path).toBeLessThan(1e-4);
    }
    // A second epoch does not try the bad files again and does not report them twice.
    const again = await collect(loader, 1);
    expect(again.paths).toEqual(got.paths);
    expect(errors).toHaveLength(3);
  });

  it('the last partial batch is kept', async () => {
    const loader = new DataLoader(gpu(), items.slice(0, 7), options({ batchSize: 3 }));
    const sizes: number[] = [];
    for await (const b of loader.epoch(0)) {
      sizes.push(b.items.length);
      b.images.release();
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(loader.batchesPerEpoch).toBe(3);
  });

  it('the cache (memory, then disk in a new run) gives the same batches without decoding', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brainmri-cache-'));
    try {
      const good = items.filter((it) => !it.folder.startsWith('bad') || it.path.endsWith('(0).jpg'));
      let decodes = 0;
      const counting = new NodeImageDecoder();
      const decoder = { decode: (b: Uint8Array, name: string) => (decodes++, counting.decode(b, name)) };
      const cache = new ImageCache(64 << 20, new DiskCacheStore(dir));
      const loader = new DataLoader(gpu(), good, options({ cache, decoder }));
      const cold = await collect(loader, 0);
      await loader.flush();
      expect(decodes).toBe(good.length);
      const warm = await collect(loader, 1);
      expect(decodes).toBe(good.length);
      expect(cache.stats.hits).toBe(good.length);
      expect(bytesOf(warm.data).equals(bytesOf(cold.data))).toBe(true);
      const cache2 = new ImageCache(64 << 20, new DiskCacheStore(dir));
      const run2 = await collect(new DataLoader(gpu(), good, options({ cache: cache2, decoder })), 0);
      expect(decodes).toBe(good.length);
      expect(cache2.stats.diskHits).toBe(good.length);
      expect(bytesOf(run2.data).equals(bytesOf(cold.data))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resized crops kept on the GPU: later epochs read no file and give the same batches, augmented too', async () => {
    const good = items.filter((it) => !it.folder.startsWith('bad'));
    const reads: string[] = [];
    const read = fileReader(root);
    const counting = (p: string) => (reads.push(p), read(p));
    const plain = (epoch: number) => collect(new DataLoader(gpu(), good, options({ shuffle: true, augment: DEFAULT_AUGMENT, batchSize: 4 })), epoch);
    const resized = new ResizedCache(gpu(), S, 64 << 20);
    try {
      const loader = new DataLoader(gpu(), good, options({ shuffle: true, augment: DEFAULT_AUGMENT, batchSize: 4, resized, read: counting }));
      for (const epoch of [0, 1, 2]) {
        reads.length = 0;
        const got = await collect(loader, epoch);
        const want = await plain(epoch);
        expect(got.paths).toEqual(want.paths);
        expect(bytesOf(got.data).equals(bytesOf(want.data)), `epoch ${epoch}`).toBe(true);
        expect(reads, `files read in epoch ${epoch}`).toHaveLength(epoch === 0 ? good.length : 0);
      }
      expect(resized.stats.stored).toBe(good.length);
      expect(resized.stats.hits).toBe(2 * good.length);
      // A budget for three crops: those three are copied, the rest read as before; batches the same.
      const small = new ResizedCache(gpu(), S, 3 * (3 * S * S * 4));
      try {
        const part = new DataLoader(gpu(), good, options({ resized: small, read: counting }));
        const first = await collect(part, 0);
        reads.length = 0;
        const second = await collect(part, 1);
        expect(small.stats.stored).toBe(3);
        expect(reads).toHaveLength(good.length - 3);
        expect(bytesOf(second.data).equals(bytesOf(first.data))).toBe(true);
      } finally {
        small.dispose();
      }
      expect(() => new DataLoader(gpu(), good, options({ resized, size: 2 * S }))).toThrow(/resized cache of size 32 for a loader of size 64/);
    } finally {
      resized.dispose();
    }
  });

  it('shuffled, augmented epochs: the same seed reproduces them exactly; another seed does not', async () => {
    const good = items.filter((it) => !it.folder.startsWith('bad'));
    const make = (seed: number) => new DataLoader(gpu(), good, options({ shuffle: true, seed, augment: DEFAULT_AUGMENT, batchSize: 4 }));
    const a = await collect(make(7), 0);
    const b = await collect(make(7), 0);
    const c = await collect(make(8), 0);
    const a1 = await collect(make(7), 1);
    expect(b.paths).toEqual(a.paths);
    expect(bytesOf(b.data).equals(bytesOf(a.data))).toBe(true);
    expect(bytesOf(c.data).equals(bytesOf(a.data))).toBe(false);
    expect(a1.paths).not.toEqual(a.paths); // each epoch reshuffles (7 items: a repeat is 1 in 5040)
    expect([...a.paths].sort()).toEqual(good.map((it) => it.path).sort());
  });

  it('prefetches: the next batch is being read before the current one is consumed', async () => {
    const log: string[] = [];
    const read = fileReader(root);
    const good = items.filter((it) => !it.folder.startsWith('bad'));
    const loader = new DataLoader(gpu(), good, options({ batchSize: 2, read: (p) => (log.push(p), read(p)) }));
    const it = loader.epoch(0);
    const first = await it.next();
    const b0 = (first.value as { images: { release(): void } }).images;
    // Let the prefetch run while "training" on batch 0.
    await new Promise((r) => setTimeout(r, 50));
    expect(log.slice(0, 4)).toEqual(good.slice(0, 4).map((x) => x.path));
    b0.release();
    for await (const b of { [Symbol.asyncIterator]: () => it }) b.images.release();
  });
});
