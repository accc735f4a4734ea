// torch.save zip checkpoints through the restricted unpickler: exact values and dtypes for every
// fixture, refusal of forbidden globals without running anything, legacy-format guidance.
import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/nn/weights/load.js';
import { loadWeightsFile } from '../../src/nn/weights/node.js';
import { PickleSecurityError } from '../../src/nn/weights/pickle.js';
import { readPth } from '../../src/nn/weights/pth.js';
import { toFloat32 } from '../../src/nn/weights/state-dict.js';
import { crc32, ZipArchive } from '../../src/nn/weights/zip.js';
import { expected, expectedFile, expectTensor, fixture, fixturePath } from './fixtures.js';

const LOADABLE = ['tiny_bn.pth', 'tiny_bn_p4.pth', 'wrapped.pth', 'dtypes_views.pth', 'deflated.pth'];

describe('.pth fixtures load with exact values and dtypes', () => {
  for (const name of LOADABLE) {
    it(name, async () => {
      const want = expectedFile(name);
      const { tensors, path } = await readPth(fixture(name));
      expect(path).toBe(want.path);
      // expected.json keeps the state dict's insertion order.
      expect([...tensors.keys()]).toEqual(Object.keys(want.tensors));
      for (const [k, w] of Object.entries(want.tensors)) expectTensor(`${name}:${k}`, tensors.get(k), w);
    });
  }

  it('tiny_bn.pth keeps num_batches_tracked as int64 and state-dict order', async () => {
    const { tensors } = await readPth(fixture('tiny_bn.pth'));
    expect([...tensors.keys()]).toEqual([
      'conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
      'fc.weight', 'fc.bias',
    ]);
    const nbt = tensors.get('bn.num_batches_tracked');
    expect(nbt?.dtype).toBe('i64');
    expect(nbt?.shape).toEqual([]);
    expect(nbt?.data).toEqual(new BigInt64Array([7n]));
  });

  it('non-contiguous views come out contiguous (transpose, slice with offset, stride 0, permute)', async () => {
    const { tensors } = await readPth(fixture('dtypes_views.pth'));
    // Independent of expected.json: the views are derived from base = row-major 4x6.
    const row = toFloat32(tensors.get('row')!);
    const t = toFloat32(tensors.get('transposed')!);
    const s = toFloat32(tensors.get('sliced')!);
    expect(tensors.get('transposed')!.shape).toEqual([6, 4]);
    expect(tensors.get('sliced')!.shape).toEqual([3, 3]);
    for (let j = 0; j < 6; j++) expect(t[j * 4 + 2]).toBe(row[j]); // transposed[j][2] == base[2][j]
    for (let j = 0; j < 3; j++) expect(s[1 * 3 + j]).toBe(row[2 * j]); // sliced[1][j] == base[2][2j]
    expect(Array.from(toFloat32(tensors.get('expanded')!))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(tensors.get('scalar')!.shape).toEqual([]);
    expect(tensors.get('empty')!.shape).toEqual([0, 3]);
  });

  it('the fixtures really are stored and deflated zips', () => {
    const stored = new ZipArchive(fixture('tiny_bn.pth'));
    const deflated = new ZipArchive(fixture('deflated.pth'));
    expect([...stored.entries.values()].every((e) => e.method === 0)).toBe(true);
    expect([...deflated.entries.values()].filter((e) => e.method === 8).length).toBeGreaterThan(0);
  });

  it('crc32 matches the standard check value at every tail length', () => {
    // CRC-32/ISO-HDLC check value; prefixes of a 17-byte string exercise every tail of the 8-byte loop.
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const s = new TextEncoder().encode('The quick brown f');
    const bytewise = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (let n = 0; n <= s.length; n++) expect(crc32(s.subarray(0, n)), `length ${n}`).toBe(bytewise(s.subarray(0, n)));
  });

  it('loadWeights and loadWeightsFile detect the format', async () => {
    const a = await loadWeights(fixture('wrapped.pth'));
    expect(a.format).toBe('pth');
    expect(a.tensors.size).toBe(Object.keys(expectedFile('wrapped.pth').tensors).length);
    const b = await loadWeightsFile(fixturePath('tiny_bn.pth'));
    expect(b.tensors.get('fc.bias')?.shape).toEqual([3]);
  });
});

describe('forbidden globals are refused and nothing runs', () => {
  const marker = expected.marker;
  for (const [name, global] of [['malicious_system.pth', 'posix.system'], ['malicious_eval.pth', 'builtins.eval']]) {
    it(`${name} is refused naming ${global}`, async () => {
      rmSync(marker, { force: true });
      const err = await readPth(fixture(name)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(PickleSecurityError);
      const msg = (err as Error).message;
      expect(msg).toContain(`refusing to load: the file asks for ${global}`);
      expect(msg).toContain('only PyTorch tensor state dicts are accepted');
      expect((err as PickleSecurityError).global).toBe(global);
      expect(existsSync(marker)).toBe(false);
    });
  }
});

describe('legacy and foreign formats', () => {
  it('legacy (pre-1.6) format says how to re-save', async () => {
    const bytes = fixture('legacy.pth');
    for (const load of [() => readPth(bytes), () => loadWeights(bytes)]) {
      const err = await load().then(() => null, (e: unknown) => e as Error);
      expect(err?.message).toMatch(/legacy \(pre-1\.6\) serialization/);
      expect(err?.message).toContain('torch.save(sd, new_path)');
      expect(err?.message).toContain('_use_new_zipfile_serialization=True');
    }
  });

  it('random bytes are rejected as an unknown format', async () => {
    await expect(loadWeights(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).rejects.toThrow(/unrecognized file format/);
  });
});
