// safetensors: u64 LE header length N, N bytes of JSON header, then the raw little-endian data.
// Header: { "__metadata__"?: {string: string}, name: {dtype, shape, data_offsets: [begin, end]} }
// with offsets relative to the data section. Input is untrusted: every field is checked and
// errors name the tensor.
import {
  bytesOf, DTYPE_BYTES, numel, typedFromBytes,
  type DType, type HostTensor, type StateDict,
} from './state-dict.js';

const TO_FILE: Readonly<Record<DType, string>> = {
  f64: 'F64', f32: 'F32', f16: 'F16', bf16: 'BF16',
  i64: 'I64', i32: 'I32', i16: 'I16', i8: 'I8',
  u64: 'U64', u32: 'U32', u16: 'U16', u8: 'U8',
  bool: 'BOOL',
};
const FROM_FILE: ReadonlyMap<string, DType> = new Map(
  (Object.entries(TO_FILE) as [DType, string][]).map(([d, s]) => [s, d]),
);

/** Same cap as the reference implementation: a larger header is refused before parsing. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  tensors: StateDict;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

function fail(msg: string): never {
  throw new SafetensorsError(`safetensors: ${msg}`);
}

export function isSafetensors(bytes: Uint8Array): boolean {
  // A plausible header length followed by the JSON object's '{'.
  if (bytes.length < 9) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

export function readSafetensors(bytes: Uint8Array, opts: { maxHeaderBytes?: number } = {}): SafetensorsFile {
  const cap = opts.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(cap)) fail(`header length ${n64} exceeds the ${cap}-byte limit`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith('{')) fail(`header does not start with '{'`);
    header = JSON.parse(text);
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const data = bytes.subarray(8 + n);

  // Null-prototype objects: a key named "__proto__" stays an ordinary key.
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value for "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`${where}: missing dtype`);
    const dt = FROM_FILE.get(dtype);
    if (!dt) fail(`${where}: unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${where}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before begin`);
    if (end > data.length) fail(`${where}: data_offsets [${begin}, ${end}] run past the ${data.length}-byte data section`);
    const count = numel(shape as number[]);
    const need = count * DTYPE_BYTES[dt];
    if (!Number.isSafeInteger(need) || end - begin !== need) {
      fail(`${where}: ${dtype} [${(shape as number[]).join(', ')}] needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: dt, shape: [...(shape as number[])], begin, end });
  }

  // Tensors must tile the data section exactly: no overlap, no gap, nothing left over.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = '';
  for (const e of byOffset) {
    if (e.begin < pos) fail(`tensor "${e.name}" (bytes ${e.begin}..${e.end}) overlaps tensor "${prev}" (ends at ${pos})`);
    if (e.begin > pos) fail(`gap in the data section before tensor "${e.name}" (bytes ${pos}..${e.begin} belong to no tensor)`);
    pos = e.end;
    prev = e.name;
  }
  if (pos !== data.length) fail(`data section is ${data.length} bytes but the tensors cover ${pos}`);

  const tensors: StateDict = new Map();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedFromBytes(e.dtype, data.subarray(e.begin, e.end), numel(e.shape)) });
  }
  return { tensors, metadata };
}

/**
 * Serializes tensors in a fixed order (element size descending, then name) so each tensor's
 * data offset is a multiple of its element size; the header is space-padded to 8 bytes.
 */
export function writeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()];
  for (const name of names) {
    if (name === '__metadata__') fail('"__metadata__" is reserved and cannot name a tensor');
    const t = tensors.get(name) as HostTensor;
    if (numel(t.shape) !== t.data.length) {
      fail(`tensor "${name}": shape [${t.shape.join(', ')}] does not match its ${t.data.length} elements`);
    }
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail(`metadata value for "${k}" is not a string`);
  }
  names.sort((a, b) => {
    const d = DTYPE_BYTES[(tensors.get(b) as HostTensor).dtype] - DTYPE_BYTES[(tensors.get(a) as HostTensor).dtype];
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  const header = Object.create(null) as Record<string, unknown>;
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name) as HostTensor;
    const size = t.data.byteLength;
    header[name] = { dtype: TO_FILE[t.dtype], shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const b = bytesOf(tensors.get(name) as HostTensor);
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

/** Metadata values must be strings; structured values (labels, input size, ...) go in as JSON. */
export function jsonMetadata(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** Parses one metadata entry written by `jsonMetadata`, naming the key when it is not JSON. */
export function parseJsonMetadata<T = unknown>(metadata: Record<string, string>, key: string): T | undefined {
  const v = metadata[key];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as T;
  } catch {
    fail(`metadata "${key}" is not JSON: ${v.slice(0, 80)}`);
  }
}
