// safetensors: agreement with an independent Python writer/reader (fixture), round trip of every
// dtype with metadata, and clear rejection of malformed headers.
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/nn/weights/load.js';
import {
  jsonMetadata, parseJsonMetadata, readSafetensors, SafetensorsError, writeSafetensors,
} from '../../src/nn/weights/safetensors.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import {
  DTYPE_BYTES, typedFromBytes, type DType, type HostTensor, type StateDict,
} from '../../src/nn/weights/state-dict.js';
import { expectedFile, expectTensor, fixture } from './fixtures.js';

const enc = new TextEncoder();

/** A file from a raw header string and a data section of `dataBytes` bytes. */
function file(header: string, dataBytes = 0, declaredLength?: number): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? h.length), true);
  out.set(h, 8);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
}

describe('safetensors agrees with an independent implementation', () => {
  const want = expectedFile('sample.safetensors');

  it('reads the Python-written sample exactly, metadata included', () => {
    const { tensors, metadata } = readSafetensors(fixture('sample.safetensors'));
    expect({ ...metadata }).toEqual(want.metadata);
    expect(parseJsonMetadata<string[]>(metadata, 'labels')).toEqual(['glioma', 'meningioma', 'notumor', 'pituitary']);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(want.tensors).sort());
    for (const [k, w] of Object.entries(want.tensors)) expectTensor(k, tensors.get(k), w);
  });

  it('writing the same tensors and metadata reproduces the file byte for byte', () => {
    const bytes = fixture('sample.safetensors');
    const { tensors, metadata } = readSafetensors(bytes);
    // Re-insert in a different order: the writer's order must not depend on insertion.
    const shuffled: StateDict = new Map([...tensors].reverse());
    expect(writeSafetensors(shuffled, { ...metadata })).toEqual(bytes);
  });
});

const ALL: DType[] = ['f64', 'f32', 'f16', 'bf16', 'i64', 'i32', 'i16', 'i8', 'u64', 'u32', 'u16', 'u8', 'bool'];

function randomTensor(rng: Rng, dtype: DType, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = new Uint8Array(n * DTYPE_BYTES[dtype]);
  // Random bit patterns: NaN payloads, infinities and signed zeros must survive too.
  for (let i = 0; i < raw.length; i++) raw[i] = rng.int(256);
  if (dtype === 'bool') for (let i = 0; i < raw.length; i++) raw[i] &= 1;
  return { dtype, shape, data: typedFromBytes(dtype, raw, n) };
}

describe('safetensors round trip', () => {
  it('every dtype, odd shapes, 0-d and empty tensors, with model metadata', () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    const sd: StateDict = new Map();
    ALL.forEach((dt, i) => sd.set(`layer${i}.${dt}`, randomTensor(rng, dt, [3, (i % 4) + 1, 5])));
    sd.set('scalar', randomTensor(rng, 'f32', []));
    sd.set('empty', randomTensor(rng, 'f16', [0, 7]));
    sd.set('__proto__', randomTensor(rng, 'u8', [2]));
    const meta = jsonMetadata({
      labels: ['glioma', 'meningioma', 'notumor', 'pituitary'],
      input_size: [224, 224],
      preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 256 },
      format_version: '1',
    });
    const bytes = writeSafetensors(sd, meta);
    const back = readSafetensors(bytes);
    expect(back.tensors.size, `seed ${seed}`).toBe(sd.size);
    for (const [k, t] of sd) {
      const b = back.tensors.get(k);
      expect(b?.dtype, k).toBe(t.dtype);
      expect(b?.shape, k).toEqual(t.shape);
      // Compare bytes so NaN payloads count.
      expect(new Uint8Array(b!.data.buffer, b!.data.byteOffset, b!.data.byteLength), `${k} seed ${seed}`)
        .toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    expect(parseJsonMetadata(back.metadata, 'preprocessing')).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 256 });
    expect(parseJsonMetadata(back.metadata, 'input_size')).toEqual([224, 224]);
    expect(back.metadata.format_version).toBe('1');

    // Layout: header padded to 8; element size descending then name; offsets aligned.
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = headerOf(bytes);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const sizeOf = (k: string): number => DTYPE_BYTES[sd.get(k)!.dtype];
    expect(names).toEqual([...names].sort((a, b) => sizeOf(b) - sizeOf(a) || (a < b ? -1 : 1)));
    for (const k of names) {
      const [begin] = (header[k] as { data_offsets: number[] }).data_offsets;
      expect(begin % sizeOf(k), k).toBe(0);
    }
  });

  it('loadWeights recognizes safetensors', async () => {
    const sd: StateDict = new Map([['w', { dtype: 'f32', shape: [2], data: new Float32Array([1.5, -2]) }]]);
    const w = await loadWeights(writeSafetensors(sd, { labels: '["a","b"]' }));
    expect(w.format).toBe('safetensors');
    expect(w.metadata.labels).toBe('["a","b"]');
    expect(Array.from(w.tensors.get('w')!.data as Float32Array)).toEqual([1.5, -2]);
  });

  it('the writer refuses a tensor named __metadata__ and a shape that does not fit the data', () => {
    expect(() => writeSafetensors(new Map([['__metadata__', { dtype: 'u8', shape: [1], data: new Uint8Array(1) }]])))
      .toThrow(/"__metadata__" is reserved/);
    expect(() => writeSafetensors(new Map([['fc.weight', { dtype: 'f32', shape: [2, 3], data: new Float32Array(5) }]])))
      .toThrow(/tensor "fc.weight": shape \[2, 3\] does not match its 5 elements/);
  });
});

describe('malformed safetensors are rejected clearly', () => {
  const w = (extra = ''): string => `{"fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}${extra}}`;
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short for the 8-byte header length/],
    ['header length past the end', file(w(), 16, 4096), /header length 4096 runs past the end/],
    ['header length over the cap', file(w(), 16, 2 ** 40), /header length 1099511627776 exceeds the 100000000-byte limit/],
    ['not JSON', file('{"fc.weight": [', 16), /header is not valid UTF-8 JSON/],
    ['not UTF-8', (() => { const f = file('{"a\u00e9":1}'); f[11] = 0xff; return f; })(), /not valid UTF-8 JSON/],
    ['not an object', file('[1,2,3]'), /does not start with '\{'/],
    ['metadata value not a string', file(`{"__metadata__":{"labels":["a"]}}`), /__metadata__ value for "labels" is not a string/],
    ['unknown dtype', file('{"fc.weight":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', 2), /tensor "fc.weight": unsupported dtype "F8_E4M3"/],
    ['bad shape', file('{"fc.weight":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}', 8), /tensor "fc.weight": shape must be an array of non-negative integers/],
    ['bad offsets', file('{"fc.weight":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', 8), /tensor "fc.weight": data_offsets must be \[begin, end\]/],
    ['end before begin', file('{"fc.weight":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', 8), /tensor "fc.weight": data_offsets \[8, 0\] end before begin/],
    ['size mismatch', file('{"fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}', 16), /tensor "fc.weight": F32 \[2, 3\] needs 24 bytes but data_offsets \[0, 16\] hold 16/],
    ['offsets past the data', file(w(), 8), /tensor "fc.weight": data_offsets \[0, 16\] run past the 8-byte data section/],
    ['overlap', file(w(',"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}'), 16), /tensor "fc.bias" \(bytes 8..16\) overlaps tensor "fc.weight"/],
    ['gap', file('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}', 6), /gap in the data section before tensor "b"/],
    ['trailing bytes', file(w(), 20), /data section is 20 bytes but the tensors cover 16/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, () => {
      let err: unknown;
      try { readSafetensors(bytes); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as Error).message).toMatch(re);
    });
  }

  it('a well-formed control case of the same builder loads', () => {
    expect(readSafetensors(file(w(), 16)).tensors.get('fc.weight')?.shape).toEqual([2, 2]);
  });
});
