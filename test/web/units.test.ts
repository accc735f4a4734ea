// Pure pieces of the page, in Node: dataset listings from paths, the browser GPU acquisition's
// errors (with a fake navigator.gpu), and the heat overlay.
import { buildDataset } from '../../src/data/scan.js';
import { GpuError } from '../../src/gpu/errors.js';
import { createBrowserGpu, hasWebGpu, requestBrowserAdapter } from '../../src/gpu/browser.js';
import { sourceFromMemory, sourceFromPaths } from '../../src/web/dataset.js';
import { heat, overlayHeat } from '../../src/web/view.js';

describe('page dataset sources', () => {
  it('groups relative paths into the scanner listing: class folders, nested folders flagged, root files', async () => {
    const src = sourceFromPaths('root', ['Glioblastoma T1/a.jpg', 'Glioblastoma T1/b (2).JPG', 'Glioblastoma T1/deep/c.jpg', '_NORMAL T2/n.png', 'notes.txt', 'Meningioma T2/x.txt'], async (p) => new TextEncoder().encode(p));
    expect(src.rootFiles).toEqual(['notes.txt']);
    const glio = src.listing.find((l) => l.folder === 'Glioblastoma T1')!;
    expect(glio.entries).toEqual([
      { name: 'a.jpg', isDirectory: false },
      { name: 'b (2).JPG', isDirectory: false },
      { name: 'deep', isDirectory: true },
    ]);
    const { dataset, report } = buildDataset(src.listing, '15', src.rootFiles);
    expect(dataset.items.map((it) => [it.path, dataset.labels[it.label]])).toEqual([
      ['Glioblastoma T1/a.jpg', 'Glioblastoma'],
      ['Glioblastoma T1/b (2).JPG', 'Glioblastoma'],
      ['_NORMAL T2/n.png', 'Normal'],
    ]);
    expect(report.skipped.map((s) => s.path)).toEqual(expect.arrayContaining(['Glioblastoma T1/deep', 'Meningioma T2/x.txt']));
    expect(new TextDecoder().decode(await src.read('_NORMAL T2/n.png'))).toBe('_NORMAL T2/n.png');
  });

  it('reads in-memory files and rejects unknown paths', async () => {
    const src = sourceFromMemory('synthetic', new Map([['A T1/1.jpg', new Uint8Array([1, 2, 3])]]));
    expect(Array.from(await src.read('A T1/1.jpg'))).toEqual([1, 2, 3]);
    await expect(src.read('A T1/2.jpg')).rejects.toThrow(/no such file/);
  });
});

describe('browser GPU acquisition', () => {
  it('explains a missing navigator.gpu', async () => {
    expect(hasWebGpu({})).toBe(false);
    const err = await requestBrowserAdapter({ gpu: undefined }).catch((e: unknown) => e);
    // In Node there is no navigator.gpu either way.
    expect(err).toBeInstanceOf(GpuError);
    expect((err as Error).message).toMatch(/WebGPU/);
    expect((err as Error).message).toMatch(/What to do: .*enable-unsafe-webgpu/);
  });

  it('explains an adapter request that gives nothing or throws', async () => {
    const none = { requestAdapter: async () => null } as unknown as GPU;
    expect(hasWebGpu({ gpu: none })).toBe(true);
    await expect(createBrowserGpu({ gpu: none })).rejects.toThrow(/gave no adapter/);
    const broken = { requestAdapter: async () => { throw new Error('blocked'); } } as unknown as GPU;
    await expect(requestBrowserAdapter({ gpu: broken })).rejects.toThrow(/refused a WebGPU adapter: blocked/);
  });
});

describe('heat overlay', () => {
  it('maps 0 to blue and 1 to red, and blends a constant map evenly', () => {
    expect(heat(0)[2]).toBeGreaterThan(heat(0)[0]);
    expect(heat(1)[0]).toBeGreaterThan(heat(1)[2]);
    const base = new Uint8Array(3 * 2 * 4).fill(100);
    const out = overlayHeat(base, 3, 2, [1, 1, 1, 1], 2, 2, 0.5);
    const [r, g, b] = heat(1);
    for (let i = 0; i < 6; i++) {
      expect(out[i * 4]).toBe(Math.round(50 + 0.5 * r));
      expect(out[i * 4 + 1]).toBe(Math.round(50 + 0.5 * g));
      expect(out[i * 4 + 2]).toBe(Math.round(50 + 0.5 * b));
      expect(out[i * 4 + 3]).toBe(255);
    }
  });
});
