// The restricted unpickler on its own: plain data from Python's pickler (protocols 1, 2, 4),
// refusal of every way a pickle can name a global, and malformed input. Crafted torch
// archives check that hostile storages, strides and zips fail with clear errors.
import { describe, expect, it } from 'vitest';
import {
  PickleError, PickleSecurityError, PyDict, PyGlobal, PyTuple, unpickle, type PyValue,
} from '../../src/nn/weights/pickle.js';
import { loadWeights } from '../../src/nn/weights/load.js';
import { readPth } from '../../src/nn/weights/pth.js';
import { crc32, ZipArchive } from '../../src/nn/weights/zip.js';
import { fixture, op, storedZip, tensorDictOps, tensorDictPickle, type CraftedTensor } from './fixtures.js';

const hex = (s: string): Uint8Array => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const NONE_ALLOWED = { globals: new Map() };

/** Plain JS view of a value: tuples as {tuple: [...]}, dicts as [key, value] pair lists. */
function js(v: PyValue): unknown {
  if (Array.isArray(v)) return v.map(js);
  if (v instanceof PyTuple) return { tuple: v.items.map(js) };
  if (v instanceof PyDict) return [...v.map].map(([k, x]) => [k, js(x)]);
  return v;
}

// pickle.dumps(obj, protocol=p) by CPython 3.11 for
// obj = {'a': [1, -2, 300, 70000, -70000, 2**40, -2**70, 1.5, -0.0, None, True, False],
//        't': (1, (2, 3), ('x', 'y', 'z'), ()), 'u': 'héllo ✓', 'n': {7: 'seven'}}; obj['shared'] = obj['t']
const DATA: Record<number, string> = {
  1: '7d71002858010000006171015d7102284b014afeffffff4d2c014a701101004a90eefeff4c313039393531313632373737364c0a4c2d313138303539313632303731373431313330333432344c0a473ff80000000000004780000000000000004e4930310a4930300a655801000000747103284b01284b024b03747104285801000000787105580100000079710658010000007a710774710829747109580100000075710a580a00000068c3a96c6c6f20e29c93710b58010000006e710c7d710d4b075805000000736576656e710e735806000000736861726564710f6809752e',
  2: '80027d71002858010000006171015d7102284b014afeffffff4d2c014a701101004a90eefeff8a060000000000018a090000000000000000c0473ff80000000000004780000000000000004e8889655801000000747103284b014b024b038671045801000000787105580100000079710658010000007a710787710829747109580100000075710a580a00000068c3a96c6c6f20e29c93710b58010000006e710c7d710d4b075805000000736576656e710e735806000000736861726564710f6809752e',
  4: '80049594000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101004a90eefeff8a060000000000018a090000000000000000c0473ff80000000000004780000000000000004e8889658c017494284b014b024b0386948c0178948c0179948c017a9487942974948c0175948c0a68c3a96c6c6f20e29c93948c016e947d944b078c05736576656e94738c06736861726564946809752e',
};

describe('plain data from CPython', () => {
  const t = { tuple: [1, { tuple: [2, 3] }, { tuple: ['x', 'y', 'z'] }, { tuple: [] }] };
  const want = [
    ['a', [1, -2, 300, 70000, -70000, 2 ** 40, -(2n ** 70n), 1.5, -0, null, true, false]],
    ['t', t],
    ['u', 'héllo ✓'],
    ['n', [[7, 'seven']]],
    ['shared', t],
  ];
  for (const p of [1, 2, 4]) {
    it(`protocol ${p}`, () => {
      const v = unpickle(hex(DATA[p]), NONE_ALLOWED);
      expect(js(v)).toEqual(want);
      // The memo shares objects exactly as the pickler did.
      const d = v as PyDict;
      expect(d.map.get('shared')).toBe(d.map.get('t'));
      expect(Object.is((d.map.get('a') as PyValue[])[8], -0)).toBe(true);
    });
  }

  it('SHORT_BINBYTES (protocol 4 bytes)', () => {
    expect(unpickle(hex('800495070000000000000043030001ff942e'), NONE_ALLOWED)).toEqual(new Uint8Array([0, 1, 255]));
  });

  it('an allow-listed global is called; its name never reaches anything else', () => {
    // pickle.dumps(OrderedDict([('k', 1)]), protocol=2)
    const bytes = hex('800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006b71024b01732e');
    const seen: string[] = [];
    const globals = new Map([['collections.OrderedDict', new PyGlobal('collections', 'OrderedDict', (args) => {
      seen.push(`called with ${args.length} args`);
      return new PyDict('OrderedDict');
    })]]);
    expect(js(unpickle(bytes, { globals }))).toEqual([['k', 1]]);
    expect(seen).toEqual(['called with 0 args']);
  });
});

describe('every way to name a global is refused unless allow-listed', () => {
  const enc = new TextEncoder();
  const b = (...parts: (number[] | string)[]): Uint8Array =>
    new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)));
  const cases: [string, Uint8Array, string][] = [
    ['GLOBAL os.system then REDUCE', b([0x80, 2], 'cos\nsystem\n', op.str('touch /tmp/x'), [0x85, 0x52, 0x2e]), 'os.system'],
    ['STACK_GLOBAL builtins.exec', b([0x80, 4], [0x8c, 8], 'builtins', [0x8c, 4], 'exec', [0x93, 0x2e]), 'builtins.exec'],
    ['INST subprocess.Popen', b('(I1\nisubprocess\nPopen\n.'), 'subprocess.Popen'],
    ['GLOBAL torch.load (a torch name that is not allowed)', b([0x80, 2], 'ctorch\nload\n', [0x2e]), 'torch.load'],
    ['GLOBAL _codecs.encode (how protocol 2 spells bytes)', hex('8002635f636f646563730a656e636f64650a710058040000000001c3bf710158060000006c6174696e3171028671035271042e'), '_codecs.encode'],
    ['GLOBAL collections.OrderedDict.fromkeys', b([0x80, 2], 'ccollections\nOrderedDict.fromkeys\n', [0x2e]), 'collections.OrderedDict.fromkeys'],
  ];
  for (const [name, bytes, global] of cases) {
    it(name, () => {
      let err: unknown;
      try { unpickle(bytes, { globals: new Map(), refusalHint: 'test hint' }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(PickleSecurityError);
      expect((err as Error).message).toBe(`refusing to load: the file asks for ${global}; test hint`);
    });
  }

  it('a .pth whose tensor storage type is not a storage is refused', async () => {
    const pkl = tensorDictPickle([{ name: 'w', key: '0', numel: 1, shape: [1], stride: [1], storageType: ['builtins', 'eval'] }]);
    const zip = storedZip([['m/data.pkl', pkl], ['m/data/0', new Uint8Array(4)]], crc32);
    await expect(readPth(zip)).rejects.toThrow(/refusing to load: the file asks for builtins\.eval; only PyTorch tensor state dicts are accepted/);
  });
});

describe('malformed pickles fail clearly', () => {
  const cases: [string, number[], RegExp][] = [
    ['truncated', [0x80, 2, 0x58, 10, 0, 0, 0, 0x61], /truncated: needs 10 more bytes/],
    ['no STOP', [0x80, 2, 0x4b, 1], /truncated/],
    ['unset memo', [0x80, 2, 0x68, 5, 0x2e], /memo key 5 is not set/],
    ['unknown opcode', [0x80, 2, 0xff], /unsupported pickle opcode 0xff/],
    ['unbalanced MARK', [0x80, 2, 0x28, 0x4b, 1, 0x2e], /STOP with items left on the stack/],
    ['stack underflow', [0x80, 2, 0x85, 0x2e], /stack underflow/],
    ['SETITEMS on a list', [0x80, 2, 0x5d, 0x28, 0x4b, 1, 0x4b, 2, 0x75, 0x2e], /SETITEM\(S\) on list/],
    ['REDUCE on data', [0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e], /number is not callable/],
    ['persistent id without a loader', [0x80, 2, 0x4b, 1, 0x51, 0x2e], /persistent ids are not accepted/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, () => {
      let err: unknown;
      try { unpickle(new Uint8Array(bytes), NONE_ALLOWED); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(PickleError);
      expect((err as Error).message).toMatch(re);
    });
  }
});

describe('crafted torch archives', () => {
  const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);
  const pth = (tensors: CraftedTensor[], storages: [string, Uint8Array][]): Uint8Array =>
    storedZip([['m/data.pkl', tensorDictPickle(tensors)], ...storages.map(([k, d]): [string, Uint8Array] => [`m/data/${k}`, d])], crc32);

  it('control: the builder makes a loadable file (strided view, shared storage)', async () => {
    const { tensors } = await readPth(pth([
      { name: 'a', key: '0', numel: 6, shape: [2, 3], stride: [3, 1] },
      { name: 'aT', key: '0', numel: 6, shape: [3, 2], stride: [1, 3] },
      { name: 'tail', key: '0', numel: 6, offset: 4, shape: [2], stride: [1] },
    ], [['0', f32([1, 2, 3, 4, 5, 6])]]));
    expect(Array.from(tensors.get('a')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tensors.get('aT')!.data as Float32Array)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(tensors.get('tail')!.data as Float32Array)).toEqual([5, 6]);
  });

  const cases: [string, CraftedTensor[], [string, Uint8Array][], RegExp][] = [
    ['view past the storage', [{ name: 'w', key: '0', numel: 4, shape: [3, 3], stride: [3, 1] }], [['0', f32([1, 2, 3, 4])]],
      /tensor \[3, 3\] at offset 0 with strides \[3, 1\] reads past its storage of 4 elements/],
    ['offset past the storage', [{ name: 'w', key: '0', numel: 4, offset: 3, shape: [2], stride: [1] }], [['0', f32([1, 2, 3, 4])]],
      /reads past its storage of 4 elements/],
    ['a stride-0 view too large to materialize', [{ name: 'w', key: '0', numel: 1, shape: [65536, 65536], stride: [0, 0] }], [['0', f32([1])]],
      /tensor \[65536, 65536\] would need 17179869184 bytes \(limit 2147483648\)/],
    ['storage entry missing', [{ name: 'w', key: '0', numel: 2, shape: [2], stride: [1] }], [],
      /storage 0 has no m\/data\/0 entry/],
    ['storage shorter than declared', [{ name: 'w', key: '0', numel: 4, shape: [2], stride: [1] }], [['0', f32([1, 2])]],
      /storage 0 is 8 bytes; 4 f32 elements need 16/],
    ['storage key with a path in it', [{ name: 'w', key: '../x', numel: 1, shape: [1], stride: [1] }], [],
      /bad storage key "..\/x"/],
  ];
  for (const [name, tensors, storages, re] of cases) {
    it(name, async () => {
      await expect(readPth(pth(tensors, storages))).rejects.toThrow(re);
    });
  }

  it('a corrupted storage fails its CRC', async () => {
    const bytes = fixture('tiny_bn.pth').slice();
    const zip = new ZipArchive(bytes);
    const e = zip.get('tiny_bn/data/0');
    bytes[e.dataOffset + 3] ^= 0x40;
    await expect(readPth(bytes)).rejects.toThrow(/entry "tiny_bn\/data\/0" fails its CRC-32 check/);
  });

  it('a truncated archive is rejected', async () => {
    await expect(readPth(fixture('tiny_bn.pth').slice(0, 1000))).rejects.toThrow(/no end-of-central-directory record/);
  });

  it('a TorchScript archive is told apart', async () => {
    await expect(readPth(storedZip([['m/constants.pkl', new Uint8Array([0x80, 2, 0x29, 0x2e])]], crc32)))
      .rejects.toThrow(/TorchScript archive \(torch\.jit\.save\)/);
  });

  const one = (name: string): CraftedTensor[] => [{ name, key: name, numel: 1, shape: [1], stride: [1] }];
  const wrapper = (entries: [string, string][]): Uint8Array => storedZip([
    ['m/data.pkl', new Uint8Array([...op.proto, ...op.emptyDict, ...op.mark,
      ...entries.flatMap(([k, t]) => [...op.str(k), ...tensorDictOps(one(t))]), ...op.setitems, ...op.stop])],
    ...entries.map(([, t]): [string, Uint8Array] => [`m/data/${t}`, f32([t.length])]),
  ], crc32);

  it("a {'model': sd, 'ema': sd} wrapper picks 'model'; an unknown key holding the only state dict is found", async () => {
    const a = await readPth(wrapper([['ema', 'e'], ['model', 'w']]));
    expect(a.path).toBe('model');
    expect([...a.tensors.keys()]).toEqual(['w']);
    const b = await readPth(wrapper([['my_weights', 'w2']]));
    expect(b.path).toBe('my_weights');
    expect(Array.from(b.tensors.get('w2')!.data as Float32Array)).toEqual([2]);
  });

  it('two state dicts under unknown keys is ambiguous and says so', async () => {
    await expect(readPth(wrapper([['a', 'x'], ['b', 'y']])))
      .rejects.toThrow(/no state dict found: the top-level dict \(keys "a", "b"\) is neither a dict of tensors nor holds exactly one/);
  });

  it('a big-endian byteorder entry is refused; little-endian is accepted', async () => {
    const pkl = tensorDictPickle(one('w'));
    const make = (order: string): Uint8Array => storedZip([
      ['archive/data.pkl', pkl], ['archive/byteorder', new TextEncoder().encode(order)], ['archive/data/w', f32([3])],
    ], crc32);
    await expect(readPth(make('big'))).rejects.toThrow(/storages are big-endian; only little-endian checkpoints are supported/);
    expect(Array.from((await readPth(make('little'))).tensors.get('w')!.data as Float32Array)).toEqual([3]);
  });

  it("a broken safetensors header gets the safetensors reader's message from loadWeights", async () => {
    const h = new TextEncoder().encode('xx');
    const bytes = new Uint8Array(8 + h.length);
    bytes[0] = h.length;
    bytes.set(h, 8);
    await expect(loadWeights(bytes)).rejects.toThrow(/safetensors: header does not start with '\{'/);
  });

  it('a dict with no state dict inside names its keys', async () => {
    const pkl = new Uint8Array([...op.proto, ...op.emptyDict, ...op.mark, ...op.str('epoch'), ...op.int(3), ...op.setitems, ...op.stop]);
    await expect(readPth(storedZip([['m/data.pkl', pkl]], crc32))).rejects.toThrow(/no state dict found: the top-level dict \(keys "epoch"\)/);
  });
});
