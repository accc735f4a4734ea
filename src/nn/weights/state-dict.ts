// Backend-neutral weights held on the host: name -> (dtype, shape, contiguous row-major data).
// No node: imports here; the readers run in Node and in the browser alike.

export type DType =
  | 'f64' | 'f32' | 'f16' | 'bf16'
  | 'i64' | 'i32' | 'i16' | 'i8'
  | 'u64' | 'u32' | 'u16' | 'u8'
  | 'bool';

/** f16 and bf16 keep their raw bit patterns in a Uint16Array; bool is one byte per element. */
export type HostData =
  | Float64Array | Float32Array
  | BigInt64Array | BigUint64Array
  | Int32Array | Int16Array | Int8Array
  | Uint32Array | Uint16Array | Uint8Array;

export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: HostData;
}

export type StateDict = Map<string, HostTensor>;

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  f64: 8, f32: 4, f16: 2, bf16: 2,
  i64: 8, i32: 4, i16: 2, i8: 1,
  u64: 8, u32: 4, u16: 2, u8: 1,
  bool: 1,
};

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Copies `count` elements of `dtype` out of little-endian bytes into an owned typed array. */
export function typedFromBytes(dtype: DType, bytes: Uint8Array, count: number): HostData {
  const nbytes = count * DTYPE_BYTES[dtype];
  if (bytes.byteLength < nbytes) {
    throw new RangeError(`need ${nbytes} bytes for ${count} ${dtype} elements, have ${bytes.byteLength}`);
  }
  // Copy so the result is aligned and owns its memory (the source may be an unaligned file slice).
  const buf = bytes.slice(0, nbytes).buffer;
  if (!LITTLE_ENDIAN) byteSwapInPlace(new Uint8Array(buf), DTYPE_BYTES[dtype]);
  return typedView(dtype, buf, count);
}

/** The little-endian bytes of a tensor's data (a copy on big-endian hosts). */
export function bytesOf(t: HostTensor): Uint8Array {
  const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (LITTLE_ENDIAN) return view;
  const copy = view.slice();
  byteSwapInPlace(copy, DTYPE_BYTES[t.dtype]);
  return copy;
}

export function typedView(dtype: DType, buf: ArrayBuffer, count: number): HostData {
  switch (dtype) {
    case 'f64': return new Float64Array(buf, 0, count);
    case 'f32': return new Float32Array(buf, 0, count);
    case 'f16': case 'bf16': case 'u16': return new Uint16Array(buf, 0, count);
    case 'i64': return new BigInt64Array(buf, 0, count);
    case 'u64': return new BigUint64Array(buf, 0, count);
    case 'i32': return new Int32Array(buf, 0, count);
    case 'u32': return new Uint32Array(buf, 0, count);
    case 'i16': return new Int16Array(buf, 0, count);
    case 'i8': return new Int8Array(buf, 0, count);
    case 'u8': case 'bool': return new Uint8Array(buf, 0, count);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteSwapInPlace(b: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}

/** IEEE half bits -> number (exact: every f16 is representable in f32). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits -> number: the top half of an f32. */
export function bf16ToNumber(h: number): number {
  BF16_U32[0] = h << 16;
  return BF16_F32[0];
}
const BF16_U32 = new Uint32Array(1);
const BF16_F32 = new Float32Array(BF16_U32.buffer);

/**
 * The tensor's values as a Float32Array (the engine's only compute dtype). f64 and 64-bit
 * integers round to the nearest f32; integers beyond 2^24 lose precision, as in PyTorch's .float().
 */
export function toFloat32(t: HostTensor): Float32Array {
  const d = t.data;
  if (t.dtype === 'f32') return Float32Array.from(d as Float32Array);
  const out = new Float32Array(d.length);
  if (t.dtype === 'f16') {
    const u = d as Uint16Array;
    for (let i = 0; i < u.length; i++) out[i] = f16ToNumber(u[i]);
  } else if (t.dtype === 'bf16') {
    const u = d as Uint16Array;
    for (let i = 0; i < u.length; i++) out[i] = bf16ToNumber(u[i]);
  } else if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  } else {
    const n = d as Exclude<HostData, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < n.length; i++) out[i] = n[i];
  }
  return out;
}

export function f32Tensor(shape: number[], data: Float32Array | number[]): HostTensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  if (arr.length !== numel(shape)) {
    throw new RangeError(`f32Tensor: shape [${shape.join(', ')}] needs ${numel(shape)} values, got ${arr.length}`);
  }
  return { dtype: 'f32', shape: [...shape], data: arr };
}

// ---------------------------------------------------------------------------------------------
// Matching a loaded state dict to the parameters a model expects.

export interface MatchOptions {
  /** Keys to drop from both sides before matching. Default: BatchNorm's `num_batches_tracked`. */
  ignore?: (key: string) => boolean;
  /** Prefixes stripped from loaded keys when every loaded key has it (e.g. DataParallel's `module.`). */
  stripPrefixes?: string[];
}

export interface ShapeMismatch {
  key: string;
  expected: number[];
  got: number[];
}

export interface MatchReport {
  ok: boolean;
  /** Expected by the model, absent from the file. */
  missing: string[];
  /** In the file, unknown to the model. */
  unexpected: string[];
  misShaped: ShapeMismatch[];
  /** Keys dropped by `ignore` (from either side). */
  ignored: string[];
  /** Loaded keys renamed by prefix stripping, keyed by the model's name. */
  matched: Map<string, HostTensor>;
  /** Human-readable summary; empty when ok. */
  message: string;
}

export const ignoreNumBatchesTracked = (key: string): boolean =>
  key === 'num_batches_tracked' || key.endsWith('.num_batches_tracked');

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

export function matchStateDict(
  expected: ReadonlyMap<string, readonly number[]>,
  loaded: StateDict,
  opts: MatchOptions = {},
): MatchReport {
  const ignore = opts.ignore ?? ignoreNumBatchesTracked;
  const ignored: string[] = [];
  let prefix = '';
  for (const p of opts.stripPrefixes ?? ['module.']) {
    const keys = [...loaded.keys()];
    if (keys.length > 0 && keys.every((k) => k.startsWith(p))) { prefix = p; break; }
  }
  const got = new Map<string, HostTensor>();
  for (const [k, t] of loaded) {
    const name = k.slice(prefix.length);
    if (ignore(name)) ignored.push(k); else got.set(name, t);
  }
  const missing: string[] = [];
  const misShaped: ShapeMismatch[] = [];
  const matched = new Map<string, HostTensor>();
  let wanted = 0;
  for (const [k, shape] of expected) {
    if (ignore(k)) { if (!got.has(k) && !loaded.has(prefix + k)) ignored.push(k); continue; }
    wanted++;
    const t = got.get(k);
    if (!t) { missing.push(k); continue; }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      misShaped.push({ key: k, expected: [...shape], got: [...t.shape] });
    } else {
      matched.set(k, t);
    }
  }
  const unexpected = [...got.keys()].filter((k) => !expected.has(k)).map((k) => prefix + k);
  const ok = missing.length === 0 && unexpected.length === 0 && misShaped.length === 0;
  const lines: string[] = [];
  if (!ok) {
    lines.push(`state dict does not match the model (${matched.size} of ${wanted} tensors match):`);
    if (missing.length) lines.push(`  missing (${missing.length}): ${missing.join(', ')}`);
    if (unexpected.length) lines.push(`  unexpected (${unexpected.length}): ${unexpected.join(', ')}`);
    for (const m of misShaped) {
      lines.push(`  shape mismatch for ${m.key}: model has ${fmtShape(m.expected)}, file has ${fmtShape(m.got)}`);
    }
  }
  return { ok, missing, unexpected, misShaped, ignored, matched, message: lines.join('\n') };
}

/** Throws the report's message unless every expected key is present with its shape. */
export function assertStateDictMatches(
  expected: ReadonlyMap<string, readonly number[]>,
  loaded: StateDict,
  opts?: MatchOptions,
): Map<string, HostTensor> {
  const r = matchStateDict(expected, loaded, opts);
  if (!r.ok) throw new Error(r.message);
  return r.matched;
}
