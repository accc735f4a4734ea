// Shared access to test/fixtures/weights (written by scripts/fixtures/make_weight_fixtures.py).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { bf16ToNumber, f16ToNumber, type HostTensor } from '../../src/nn/weights/state-dict.js';

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  /** int64 values as decimal strings; f16/bf16 as their exact float values; bool as 0/1. */
  values: (number | string)[];
}

export interface Expected {
  marker: string;
  [file: string]: { path?: string; metadata?: Record<string, string>; tensors: Record<string, ExpectedTensor> } | string;
}

export const fixturePath = (name: string): string =>
  new URL(`../fixtures/weights/${name}`, import.meta.url).pathname;

export function fixture(name: string): Uint8Array {
  const b = readFileSync(fixturePath(name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export const expected = JSON.parse(readFileSync(fixturePath('expected.json'), 'utf8')) as Expected;

export function expectedFile(name: string): { path?: string; metadata?: Record<string, string>; tensors: Record<string, ExpectedTensor> } {
  const e = expected[name];
  if (typeof e !== 'object') throw new Error(`no expectations for ${name}`);
  return e;
}

/** Safetensors dtype names in expected.json map to ours. */
const ST_NAMES: Record<string, string> = {
  F64: 'f64', F32: 'f32', F16: 'f16', BF16: 'bf16', I64: 'i64', I32: 'i32', I16: 'i16', I8: 'i8',
  U64: 'u64', U32: 'u32', U16: 'u16', U8: 'u8', BOOL: 'bool',
};

/** Checks dtype, shape and every element exactly (floats bit for bit via their value). */
export function expectTensor(name: string, got: HostTensor | undefined, want: ExpectedTensor): void {
  expect(got, `tensor ${name}`).toBeDefined();
  const t = got as HostTensor;
  expect(t.dtype, `${name} dtype`).toBe(ST_NAMES[want.dtype] ?? want.dtype);
  expect(t.shape, `${name} shape`).toEqual(want.shape);
  expect(t.data.length, `${name} length`).toBe(want.values.length);
  const values: (number | string)[] = [];
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (typeof v === 'bigint') values.push(v.toString());
    else if (t.dtype === 'f16') values.push(f16ToNumber(v));
    else if (t.dtype === 'bf16') values.push(bf16ToNumber(v));
    else values.push(v);
  }
  // Floats: the JSON double is the stored value exactly (inf/nan spelled as strings), so
  // equality is exact, signed zeros included. 64-bit integers compare as decimal strings.
  const wide = t.dtype === 'i64' || t.dtype === 'u64';
  const wantValues = want.values.map((v) => (wide ? String(v) : typeof v === 'string' ? Number(v.replace('inf', 'Infinity')) : v));
  expect(values, `${name} values`).toEqual(wantValues);
}

// ---------------------------------------------------------------------------------------------
// Builders for crafted (hostile or broken) checkpoints.

const utf8 = new TextEncoder();
const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** Pickle opcodes as byte lists, enough to hand-assemble a torch data.pkl. */
export const op = {
  proto: [0x80, 2],
  mark: [0x28],
  tuple: [0x74],
  emptyTuple: [0x29],
  emptyDict: [0x7d],
  setitems: [0x75],
  reduce: [0x52],
  binpersid: [0x51],
  newfalse: [0x89],
  stop: [0x2e],
  global: (module: string, name: string): number[] => [0x63, ...utf8.encode(`${module}\n${name}\n`)],
  str: (s: string): number[] => { const b = utf8.encode(s); return [0x58, ...u32le(b.length), ...b]; },
  int: (n: number): number[] => [0x4a, ...u32le(n)],
  ints: (xs: number[]): number[] => [0x28, ...xs.flatMap((x) => [0x4a, ...u32le(x)]), 0x74],
};

export interface CraftedTensor {
  name: string;
  storageType?: [string, string];
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride: number[];
}

/** data.pkl for {name: _rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())}. */
export function tensorDictPickle(tensors: CraftedTensor[]): Uint8Array {
  return new Uint8Array([...op.proto, ...tensorDictOps(tensors), ...op.stop]);
}

/** The opcodes that push one {name: tensor} dict (no PROTO/STOP), for nesting in wrappers. */
export function tensorDictOps(tensors: CraftedTensor[]): number[] {
  const b: number[] = [...op.emptyDict, ...op.mark];
  for (const t of tensors) {
    const [sm, sn] = t.storageType ?? ['torch', 'FloatStorage'];
    b.push(...op.str(t.name), ...op.global('torch._utils', '_rebuild_tensor_v2'), ...op.mark);
    b.push(...op.mark, ...op.str('storage'), ...op.global(sm, sn), ...op.str(t.key), ...op.str('cpu'), ...op.int(t.numel), ...op.tuple, ...op.binpersid);
    b.push(...op.int(t.offset ?? 0), ...op.ints(t.shape), ...op.ints(t.stride), ...op.newfalse);
    b.push(...op.global('collections', 'OrderedDict'), ...op.emptyTuple, ...op.reduce, ...op.tuple, ...op.reduce);
  }
  b.push(...op.setitems);
  return b;
}

/** A zip of stored entries, as torch.save writes them (no alignment padding needed to read). */
export function storedZip(entries: [string, Uint8Array][], crc: (b: Uint8Array) => number): Uint8Array {
  const parts: number[] = [];
  const central: number[] = [];
  for (const [name, data] of entries) {
    const n = utf8.encode(name);
    const offset = parts.length;
    const c = crc(data);
    const common = [0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...u32le(c), ...u32le(data.length), ...u32le(data.length), n.length & 0xff, n.length >> 8, 0, 0];
    parts.push(...u32le(0x04034b50), ...common, ...n, ...data);
    central.push(...u32le(0x02014b50), 0x14, 0, ...common, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...u32le(offset), ...n);
  }
  const cdOffset = parts.length;
  const count = entries.length;
  const eocd = [...u32le(0x06054b50), 0, 0, 0, 0, count & 0xff, count >> 8, count & 0xff, count >> 8, ...u32le(central.length), ...u32le(cdOffset), 0, 0];
  return new Uint8Array([...parts, ...central, ...eocd]);
}
