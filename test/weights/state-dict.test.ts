// Matching a loaded state dict to a model's expected parameters (reported by name), and the
// dtype conversions to f32.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPth } from '../../src/nn/weights/pth.js';
import {
  assertStateDictMatches, bf16ToNumber, f16ToNumber, matchStateDict, numel, toFloat32,
  type DType, type HostTensor, type StateDict,
} from '../../src/nn/weights/state-dict.js';
import { fixture, fixturePath } from './fixtures.js';

const TINY_MODEL = new Map<string, number[]>([
  ['conv.weight', [4, 3, 3, 3]],
  ['bn.weight', [4]], ['bn.bias', [4]], ['bn.running_mean', [4]], ['bn.running_var', [4]],
  ['fc.weight', [3, 4]], ['fc.bias', [3]],
]);

const zeros = (shape: number[], dtype: DType = 'f32'): HostTensor =>
  ({ dtype, shape, data: dtype === 'i64' ? new BigInt64Array(numel(shape)) : new Float32Array(numel(shape)) });

describe('matchStateDict', () => {
  it('tiny_bn.pth matches its model; num_batches_tracked is ignored, not unexpected', async () => {
    const { tensors } = await readPth(fixture('tiny_bn.pth'));
    const r = matchStateDict(TINY_MODEL, tensors);
    expect(r.ok).toBe(true);
    expect(r.message).toBe('');
    expect(r.ignored).toEqual(['bn.num_batches_tracked']);
    expect([...r.matched.keys()]).toEqual([...TINY_MODEL.keys()]);
    expect(r.matched.get('fc.weight')).toBe(tensors.get('fc.weight'));
  });

  it('reports missing, unexpected and mis-shaped keys by name', async () => {
    const { tensors } = await readPth(fixture('tiny_bn.pth'));
    const model = new Map(TINY_MODEL);
    model.delete('bn.bias'); // the file has it, the model does not
    model.set('fc.weight', [4, 4]); // the file has [3, 4]
    model.set('head.weight', [2, 3]); // the file lacks it
    const r = matchStateDict(model, tensors);
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual(['head.weight']);
    expect(r.unexpected).toEqual(['bn.bias']);
    expect(r.misShaped).toEqual([{ key: 'fc.weight', expected: [4, 4], got: [3, 4] }]);
    expect(r.message).toBe([
      'state dict does not match the model (5 of 7 tensors match):',
      '  missing (1): head.weight',
      '  unexpected (1): bn.bias',
      '  shape mismatch for fc.weight: model has [4, 4], file has [3, 4]',
    ].join('\n'));
    expect(() => assertStateDictMatches(model, tensors)).toThrow(/missing \(1\): head\.weight/);
  });

  it("strips DataParallel's module. prefix when every key has it", () => {
    const sd: StateDict = new Map([...TINY_MODEL].map(([k, s]) => [`module.${k}`, zeros(s)]));
    expect(matchStateDict(TINY_MODEL, sd).ok).toBe(true);
    sd.set('extra', zeros([1]));
    const r = matchStateDict(TINY_MODEL, sd);
    expect(r.missing.length).toBe(7);
    expect(r.unexpected).toContain('module.fc.bias');
  });

  it("torchvision ResNet18's 122 tensors: 20 num_batches_tracked ignored, 102 compared, fc reported", () => {
    const layout = JSON.parse(readFileSync(fixturePath('resnet18_layout.json'), 'utf8')) as [string, number[], DType][];
    expect(layout.length).toBe(122);
    const file: StateDict = new Map(layout.map(([k, s, d]) => [k, zeros(s, d)]));
    // The engine's 4-class model: same trunk, fc (4, 512).
    const model = new Map(layout.filter(([k]) => !k.endsWith('num_batches_tracked')).map(([k, s]) => [k, k.startsWith('fc.') ? (k === 'fc.weight' ? [4, 512] : [4]) : s]));
    expect(model.size).toBe(102);
    const r = matchStateDict(model, file);
    expect(r.ignored.length).toBe(20);
    expect(r.matched.size).toBe(100);
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.misShaped.map((m) => m.key)).toEqual(['fc.weight', 'fc.bias']);
    expect(r.message).toContain('shape mismatch for fc.weight: model has [4, 512], file has [1000, 512]');
    expect(r.message).toContain('(100 of 102 tensors match)');
  });
});

describe('toFloat32', () => {
  it('f16 bit patterns: normals, subnormals, signed zero, infinities, NaN', () => {
    const bits = [0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const want = [0, -0, 1, -2.5, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, NaN, 0.333251953125];
    const got = Array.from(toFloat32({ dtype: 'f16', shape: [bits.length], data: new Uint16Array(bits) }));
    expect(got).toEqual(want);
    expect(bits.map(f16ToNumber)).toEqual(want);
  });

  it('bf16 is the top half of an f32', () => {
    const xs = new Float32Array([1, -3.140625, 1e30, -1e-30, 0.1]);
    const u = new Uint32Array(xs.buffer);
    const bits = new Uint16Array(Array.from(u, (b) => b >>> 16));
    const got = toFloat32({ dtype: 'bf16', shape: [5], data: bits });
    for (let i = 0; i < 5; i++) {
      const truncated = new Float32Array(new Uint32Array([u[i] & 0xffff0000]).buffer)[0];
      expect(got[i]).toBe(truncated);
      expect(bf16ToNumber(bits[i])).toBe(truncated);
    }
  });

  it('f64, integers and bool round to f32; the result never aliases the input', () => {
    expect(Array.from(toFloat32({ dtype: 'f64', shape: [2], data: new Float64Array([0.1, -1e300]) })))
      .toEqual([Math.fround(0.1), -Infinity]);
    expect(Array.from(toFloat32({ dtype: 'i64', shape: [3], data: new BigInt64Array([7n, -(2n ** 40n), 2n ** 62n]) })))
      .toEqual([7, -(2 ** 40), 2 ** 62]);
    expect(Array.from(toFloat32({ dtype: 'u8', shape: [2], data: new Uint8Array([0, 255]) }))).toEqual([0, 255]);
    expect(Array.from(toFloat32({ dtype: 'i8', shape: [2], data: new Int8Array([-128, 5]) }))).toEqual([-128, 5]);
    const src = { dtype: 'f32' as const, shape: [2], data: new Float32Array([1, 2]) };
    const out = toFloat32(src);
    out[0] = 9;
    expect(src.data[0]).toBe(1);
  });
});
