// A restricted pickle reader: it builds plain values (None, bools, ints, floats, strings, bytes,
// lists, tuples, dicts) and resolves GLOBAL/STACK_GLOBAL only through a caller-supplied
// allow-list of JS functions. Nothing named by the file is ever looked up or executed; any other
// global is refused with an error naming it. Supports the opcodes of protocols 0-5 that plain
// data and PyTorch checkpoints use.

export type DictKey = string | number | bigint | boolean | null;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly map = new Map<DictKey, PyValue>();
  /** State given by BUILD (e.g. an OrderedDict's `_metadata`); kept, never interpreted. */
  state: PyValue | undefined;
  constructor(readonly className = 'dict') {}
}

/** A resolved allow-listed global. `call` is absent for names that are data, not callables. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: PyValue[]) => PyValue,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An opaque value produced by an allow-listed callable or a persistent-id loader. */
export abstract class PyOpaque {}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PyValue[] | PyTuple | PyDict | PyGlobal | PyOpaque;

export class PickleError extends Error {
  override name = 'PickleError';
}

/** Thrown when the file names a global outside the allow-list. */
export class PickleSecurityError extends PickleError {
  override name = 'PickleSecurityError';
  constructor(readonly global: string, hint: string) {
    super(`refusing to load: the file asks for ${global}; ${hint}`);
  }
}

export interface UnpickleOptions {
  /** "module.name" -> its stand-in. Anything else is refused. */
  globals: ReadonlyMap<string, PyGlobal>;
  /** Resolves BINPERSID/PERSID ids (PyTorch's storages). Without it persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Appended to the refusal message: what the caller does accept. */
  refusalHint?: string;
}

const MARK = Symbol('mark');

function fail(msg: string, pos: number): never {
  throw new PickleError(`pickle: ${msg} (at byte ${pos})`);
}

function int(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function dictKey(k: PyValue, pos: number): DictKey {
  if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
  fail(`unsupported dict key type (${describe(k)})`, pos);
}

export function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.className;
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof PyOpaque) return v.constructor.name;
  return typeof v;
}

/** Longest LONG1/LONG4 integer accepted; Python ints in checkpoints are tiny. */
const MAX_LONG_BYTES = 1024;

export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const hint = opts.refusalHint ?? 'it is not on the allow-list';
  let pos = 0;
  let stack: (PyValue | typeof MARK)[] = [];
  const metastack: (PyValue | typeof MARK)[][] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number): void => {
    if (pos + n > bytes.length) fail(`truncated: needs ${n} more bytes`, pos);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const s = bytes.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const u8 = (): number => { need(1); return bytes[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} exceeds the input`, pos - 8);
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line', pos);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const str = (n: number): string => {
    const at = pos;
    try {
      return utf8.decode(take(n));
    } catch (e) {
      if (e instanceof PickleError) throw e;
      fail('string is not valid UTF-8', at);
    }
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) fail('stack underflow', pos - 1);
    if (v === MARK) fail('unexpected MARK on the stack', pos - 1);
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow', pos - 1);
    return v;
  };
  // Callers must take the result before touching `stack`, which this replaces.
  const popMark = (): PyValue[] => {
    // MARK always opens a fresh stack, so the current one holds no MARK itself.
    const items = stack as PyValue[];
    const prev = metastack.pop();
    if (!prev) fail('no MARK to pop to', pos - 1);
    stack = prev;
    return items;
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length > MAX_LONG_BYTES) fail(`integer of ${b.length} bytes is too long`, pos);
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return int(v);
  };
  const resolve = (module: string, name: string): PyGlobal => {
    const g = opts.globals.get(`${module}.${name}`);
    if (!g) throw new PickleSecurityError(`${module}.${name}`, hint);
    return g;
  };
  const call = (f: PyValue, args: PyValue, at: number): PyValue => {
    if (!(f instanceof PyGlobal) || !f.call) fail(`${describe(f)} is not callable`, at);
    if (!(args instanceof PyTuple)) fail(`arguments to ${f.qualname} are not a tuple`, at);
    return f.call(args.items);
  };
  const setItems = (d: PyValue, kv: PyValue[], at: number): void => {
    if (!(d instanceof PyDict)) fail(`SETITEM(S) on ${describe(d)}`, at);
    if (kv.length % 2) fail('odd number of items for SETITEMS', at);
    for (let i = 0; i < kv.length; i += 2) d.map.set(dictKey(kv[i], at), kv[i + 1]);
  };
  const appendItems = (l: PyValue, items: PyValue[], at: number): void => {
    if (!Array.isArray(l)) fail(`APPEND(S) on ${describe(l)}`, at);
    l.push(...items);
  };
  const getMemo = (i: number, at: number): PyValue => {
    const v = memo.get(i);
    if (v === undefined) fail(`memo key ${i} is not set`, at);
    return v;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: pos += 8; need(0); break; // FRAME: framing is only a read-ahead hint
      case 0x2e: { // STOP
        const v = pop();
        if (stack.length || metastack.length) fail('STOP with items left on the stack', at);
        return v;
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(longFrom(take(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative LONG4 length', at); stack.push(longFrom(take(n))); break; }
      case 0x49: { // INT (text); protocol 0 spells booleans I00/I01
        const s = line();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else if (/^[+-]?\d+$/.test(s)) stack.push(int(BigInt(s)));
        else fail(`bad INT ${JSON.stringify(s)}`, at);
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s)) fail(`bad LONG ${JSON.stringify(s)}`, at);
        stack.push(int(BigInt(s)));
        break;
      }
      case 0x46: { // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) fail(`bad FLOAT ${JSON.stringify(s)}`, at);
        stack.push(v);
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x58: stack.push(str(u32())); break; // BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break; // BINUNICODE8
      case 0x54: { const n = i32(); if (n < 0) fail('negative BINSTRING length', at); stack.push(latin1.decode(take(n))); break; }
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x61: { const v = pop(); appendItems(top(), [v], at); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items, at); break; } // APPENDS
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(new PyTuple(items)); break; } // TUPLE
      case 0x85: { const a = pop(); stack.push(new PyTuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const kv = popMark(); const d = new PyDict(); setItems(d, kv, at); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v], at); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv, at); break; } // SETITEMS
      case 0x70: { // PUT (text)
        const s = line();
        if (!/^\d+$/.test(s)) fail(`bad PUT ${JSON.stringify(s)}`, at);
        memo.set(Number(s), top());
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: { // GET (text)
        const s = line();
        if (!/^\d+$/.test(s)) fail(`bad GET ${JSON.stringify(s)}`, at);
        stack.push(getMemo(Number(s), at));
        break;
      }
      case 0x68: stack.push(getMemo(u8(), at)); break; // BINGET
      case 0x6a: stack.push(getMemo(u32(), at)); break; // LONG_BINGET
      case 0x63: { const module = line(); const name = line(); stack.push(resolve(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings', at);
        stack.push(resolve(module, name));
        break;
      }
      case 0x69: { // INST: module and name as text lines, then the class is called on the marked items
        const module = line();
        const name = line();
        const g = resolve(module, name);
        const items = popMark();
        stack.push(call(g, new PyTuple(items), at));
        break;
      }
      case 0x6f: { // OBJ: class and arguments after the MARK
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class', at);
        stack.push(call(items[0], new PyTuple(items.slice(1)), at));
        break;
      }
      case 0x52: { const args = pop(); const f = pop(); stack.push(call(f, args, at)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args, at)); break; } // NEWOBJ
      case 0x62: { // BUILD: only dict-like objects take state, and it is stored, not applied
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) obj.state = state;
        else fail(`BUILD on ${describe(obj)} is not supported`, at);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent ids are not accepted here', at);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!opts.persistentLoad) fail('persistent ids are not accepted here', at);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`, at);
    }
  }
}
