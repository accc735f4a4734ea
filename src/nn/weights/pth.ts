// PyTorch checkpoints written by torch.save (>= 1.6): a zip holding <prefix>/data.pkl (pickle
// protocol 2) and one raw little-endian file <prefix>/data/<key> per storage. data.pkl is read by
// the restricted unpickler with an allow-list of the globals a tensor state dict needs; tensors
// come out contiguous row-major whatever their storage offset and strides.
import {
  describe, PickleError, PyDict, PyGlobal, PyOpaque, PyTuple, unpickle,
  type PyValue,
} from './pickle.js';
import { DTYPE_BYTES, numel, typedFromBytes, type DType, type HostTensor, type StateDict } from './state-dict.js';
import { isZip, ZipArchive } from './zip.js';

export class PthError extends Error {
  override name = 'PthError';
}

function fail(msg: string): never {
  throw new PthError(`pth: ${msg}`);
}

const STORAGE_DTYPES: ReadonlyArray<[string, DType]> = [
  ['FloatStorage', 'f32'], ['DoubleStorage', 'f64'], ['HalfStorage', 'f16'], ['BFloat16Storage', 'bf16'],
  ['LongStorage', 'i64'], ['IntStorage', 'i32'], ['ShortStorage', 'i16'], ['CharStorage', 'i8'],
  ['ByteStorage', 'u8'], ['BoolStorage', 'bool'],
];

class StorageType extends PyGlobal {
  constructor(name: string, readonly dtype: DType) {
    super('torch', name);
  }
}

class StorageRef extends PyOpaque {
  constructor(readonly key: string, readonly dtype: DType, readonly numel: number) {
    super();
  }
}

class TensorRef extends PyOpaque {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }
}

function intList(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || !items.every((x): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    fail(`${what} is not a tuple of non-negative integers (${describe(v)})`);
  }
  return items;
}

/** Largest single tensor materialized (ResNet18's largest is 9.4 MB). */
export const MAX_TENSOR_BYTES = 2 ** 31;

function rebuildTensor(args: PyValue[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) fail(`tensor storage is ${describe(storage)}, not a storage`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) fail('bad tensor storage offset');
  const shape = intList(size, 'tensor size');
  const strides = intList(stride, 'tensor stride');
  if (shape.length !== strides.length) fail(`tensor size has ${shape.length} dims but stride has ${strides.length}`);
  // Stride-0 views can describe far more elements than the file holds; cap what we materialize.
  const bytes = numel(shape) * DTYPE_BYTES[storage.dtype];
  if (bytes > MAX_TENSOR_BYTES) fail(`tensor [${shape.join(', ')}] would need ${bytes} bytes (limit ${MAX_TENSOR_BYTES})`);
  if (numel(shape) > 0) {
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
    if (last >= storage.numel) {
      fail(`tensor [${shape.join(', ')}] at offset ${offset} with strides [${strides.join(', ')}] reads past its storage of ${storage.numel} elements`);
    }
  }
  return new TensorRef(storage, offset, shape, strides);
}

const ALLOWED: ReadonlyMap<string, PyGlobal> = new Map<string, PyGlobal>([
  ...STORAGE_DTYPES.map(([n, d]): [string, PyGlobal] => [`torch.${n}`, new StorageType(n, d)]),
  ['collections.OrderedDict', new PyGlobal('collections', 'OrderedDict', (args) => {
    const d = new PyDict('OrderedDict');
    const init = args[0];
    if (args.length > 1) fail('OrderedDict takes at most one argument');
    if (init !== undefined) {
      const pairs = Array.isArray(init) ? init : init instanceof PyTuple ? init.items : fail('OrderedDict argument is not a list of pairs');
      for (const p of pairs) {
        if (!(p instanceof PyTuple) || p.items.length !== 2 || typeof p.items[0] !== 'string') fail('OrderedDict argument is not a list of (str, value) pairs');
        d.map.set(p.items[0], p.items[1]);
      }
    }
    return d;
  })],
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  ['torch._utils._rebuild_tensor_v2', new PyGlobal('torch._utils', '_rebuild_tensor_v2', rebuildTensor)],
  ['torch._utils._rebuild_tensor', new PyGlobal('torch._utils', '_rebuild_tensor', rebuildTensor)],
  // (data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
  ['torch._utils._rebuild_parameter', new PyGlobal('torch._utils', '_rebuild_parameter', (args) => {
    if (!(args[0] instanceof TensorRef)) fail('parameter data is not a tensor');
    return args[0];
  })],
  ['torch._utils._rebuild_parameter_with_state', new PyGlobal('torch._utils', '_rebuild_parameter_with_state', (args) => {
    if (!(args[0] instanceof TensorRef)) fail('parameter data is not a tensor');
    return args[0];
  })],
]);

const REFUSAL_HINT =
  'only PyTorch tensor state dicts are accepted (nothing from the file is executed; ' +
  'save `model.state_dict()` with torch.save, or use safetensors)';

/** First bytes of PyTorch's legacy format: PROTO 2, then the LONG1 magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function isLegacyPth(bytes: Uint8Array): boolean {
  return LEGACY_MAGIC.every((b, i) => bytes[i] === b);
}

export const LEGACY_MESSAGE =
  "pth: this file uses PyTorch's legacy (pre-1.6) serialization, which is not supported. " +
  'Re-save it in the zip format with PyTorch >= 1.6: `sd = torch.load(path, map_location="cpu"); ' +
  'torch.save(sd, new_path)` (the default since 1.6), or pass `_use_new_zipfile_serialization=True` to torch.save.';

/** Keys under which training checkpoints commonly nest the model's state dict, in order of preference. */
const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'weights', 'params', 'module'];

export interface PthFile {
  tensors: StateDict;
  /** Where the state dict was found: '' for the top level, else the wrapper's key. */
  path: string;
}

export async function readPth(bytes: Uint8Array): Promise<PthFile> {
  if (isLegacyPth(bytes)) throw new PthError(LEGACY_MESSAGE);
  if (bytes[0] === 0x80) {
    fail('this is a bare pickle, not a torch.save zip archive; re-save it with torch.save(state_dict, path) using PyTorch >= 1.6');
  }
  if (!isZip(bytes)) fail('not a PyTorch checkpoint (no zip signature)');
  const zip = new ZipArchive(bytes);
  const pkls = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length === 0) {
    if (zip.names().some((n) => /^[^/]+\/constants\.pkl$/.test(n))) {
      fail('this is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save instead');
    }
    fail('zip archive has no <name>/data.pkl; it was not written by torch.save');
  }
  if (pkls.length > 1) fail(`zip archive has several data.pkl entries: ${pkls.join(', ')}`);
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  const byteorder = zip.entries.has(`${prefix}byteorder`)
    ? new TextDecoder().decode(await zip.read(`${prefix}byteorder`)).trim()
    : 'little';
  if (byteorder !== 'little') fail(`storages are ${byteorder}-endian; only little-endian checkpoints are supported`);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
      fail(`unsupported persistent id (${describe(pid)}); only ('storage', type, key, location, numel) is accepted`);
    }
    const [, type, key, , count] = pid.items;
    if (!(type instanceof StorageType)) fail(`storage type ${describe(type)} is not a tensor storage`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key)) fail(`bad storage key ${JSON.stringify(key)}`);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) fail(`bad element count for storage ${key}`);
    const prev = storages.get(key);
    if (prev) {
      if (prev.dtype !== type.dtype || prev.numel !== count) fail(`storage ${key} is declared twice with different types or sizes`);
      return prev;
    }
    const ref = new StorageRef(key, type.dtype, count);
    storages.set(key, ref);
    return ref;
  };

  let root: PyValue;
  try {
    root = unpickle(await zip.read(pkls[0]), { globals: ALLOWED, persistentLoad, refusalHint: REFUSAL_HINT });
  } catch (e) {
    if (e instanceof PickleError) e.message = `pth: ${e.message}`;
    throw e;
  }

  const { dict, path } = findStateDict(root);
  // Read only the storages the chosen dict uses (a wrapper may also hold optimizer state).
  const storageBytes = new Map<string, Uint8Array>();
  for (const ref of new Set([...dict.map.values()].map((t) => (t as TensorRef).storage))) {
    const key = ref.key;
    const name = `${prefix}data/${key}`;
    if (!zip.entries.has(name)) fail(`storage ${key} has no ${name} entry`);
    const b = await zip.read(name);
    const need = ref.numel * DTYPE_BYTES[ref.dtype];
    if (b.length !== need) fail(`storage ${key} is ${b.length} bytes; ${ref.numel} ${ref.dtype} elements need ${need}`);
    storageBytes.set(key, b);
  }
  const tensors: StateDict = new Map();
  for (const [k, v] of dict.map) {
    tensors.set(String(k), materialize(v as TensorRef, storageBytes.get((v as TensorRef).storage.key) as Uint8Array));
  }
  return { tensors, path };
}

function isTensorDict(v: PyValue): v is PyDict {
  return v instanceof PyDict && [...v.map].every(([k, t]) => typeof k === 'string' && t instanceof TensorRef);
}

function findStateDict(root: PyValue): { dict: PyDict; path: string } {
  if (isTensorDict(root)) return { dict: root, path: '' };
  if (!(root instanceof PyDict)) fail(`the file holds a ${describe(root)}, not a state dict`);
  for (const k of WRAPPER_KEYS) {
    const v = root.map.get(k);
    if (v !== undefined && isTensorDict(v) && v.map.size > 0) return { dict: v, path: k };
  }
  const candidates = [...root.map].filter(([, v]) => isTensorDict(v) && v.map.size > 0);
  if (candidates.length === 1) return { dict: candidates[0][1] as PyDict, path: String(candidates[0][0]) };
  const keys = [...root.map.keys()].map((k) => JSON.stringify(k)).join(', ');
  fail(
    `no state dict found: the top-level dict (keys ${keys}) is neither a dict of tensors nor holds exactly one ` +
    `(looked under ${WRAPPER_KEYS.map((k) => `'${k}'`).join(', ')})`,
  );
}

/** Gathers a strided view of a storage into a contiguous row-major tensor. */
function materialize(t: TensorRef, storage: Uint8Array): HostTensor {
  const { dtype } = t.storage;
  const size = DTYPE_BYTES[dtype];
  const n = numel(t.shape);
  const contiguous = isContiguous(t.shape, t.stride);
  if (contiguous) {
    return { dtype, shape: [...t.shape], data: typedFromBytes(dtype, storage.subarray(t.offset * size), n) };
  }
  const out = new Uint8Array(n * size);
  const rank = t.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = t.offset;
  for (let i = 0; i < n; i++) {
    out.set(storage.subarray(src * size, src * size + size), i * size);
    // Odometer increment over the index, moving the source position by the strides.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      src -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return { dtype, shape: [...t.shape], data: typedFromBytes(dtype, out, n) };
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}
