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
