// Minimal ZIP reader for PyTorch checkpoints: central directory (with ZIP64 records), stored
// entries read in place, deflated entries through DecompressionStream('deflate-raw'); CRC-32
// checked. Input is untrusted: every offset is bounds-checked against the buffer.

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Start of the entry's (compressed) bytes in the archive. */
  dataOffset: number;
}

export class ZipError extends Error {
  override name = 'ZipError';
}

function fail(msg: string): never {
  throw new ZipError(`zip: ${msg}`);
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.parse();
  }

  private u16(o: number): number { this.need(o, 2); return this.view.getUint16(o, true); }
  private u32(o: number): number { this.need(o, 4); return this.view.getUint32(o, true); }
  private u64(o: number): number {
    this.need(o, 8);
    const v = this.view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`64-bit field at ${o} is too large (${v})`);
    return Number(v);
  }
  private need(o: number, n: number): void {
    if (o < 0 || o + n > this.bytes.length) fail(`truncated archive: needs bytes ${o}..${o + n} of ${this.bytes.length}`);
  }

  private parse(): void {
    const b = this.bytes;
    // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
    let eocd = -1;
    for (let o = b.length - 22; o >= Math.max(0, b.length - 22 - 65535); o--) {
      if (this.view.getUint32(o, true) === SIG_EOCD) { eocd = o; break; }
    }
    if (eocd < 0) fail('no end-of-central-directory record (not a zip file, or truncated)');
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    const loc = eocd - 20;
    if (loc >= 0 && this.u32(loc) === SIG_EOCD64_LOCATOR) {
      const e64 = this.u64(loc + 8);
      if (this.u32(e64) !== SIG_EOCD64) fail('ZIP64 locator points to no ZIP64 end record');
      count = this.u64(e64 + 32);
      cdSize = this.u64(e64 + 40);
      cdOffset = this.u64(e64 + 48);
    }
    this.need(cdOffset, cdSize);
    let o = cdOffset;
    const names = new TextDecoder('utf-8');
    for (let i = 0; i < count; i++) {
      if (this.u32(o) !== SIG_CENTRAL) fail(`central directory entry ${i} has a bad signature`);
      const flags = this.u16(o + 8);
      const method = this.u16(o + 10);
      const crc32 = this.u32(o + 16);
      let compressedSize = this.u32(o + 20);
      let size = this.u32(o + 24);
      const nameLen = this.u16(o + 28);
      const extraLen = this.u16(o + 30);
      const commentLen = this.u16(o + 32);
      let localOffset = this.u32(o + 42);
      this.need(o + 46, nameLen + extraLen);
      const name = names.decode(b.subarray(o + 46, o + 46 + nameLen));
      // ZIP64 extra field: the 64-bit values of whichever fields were saturated, in this order.
      let x = o + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = this.u16(x);
        const len = this.u16(x + 2);
        if (id === 0x0001) {
          let p = x + 4;
          if (size === 0xffffffff) { size = this.u64(p); p += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = this.u64(p); p += 8; }
          if (localOffset === 0xffffffff) { localOffset = this.u64(p); p += 8; }
        }
        x += 4 + len;
      }
      if (flags & 1) fail(`entry "${name}" is encrypted`);
      if (this.u32(localOffset) !== SIG_LOCAL) fail(`entry "${name}" has no local header at ${localOffset}`);
      const dataOffset = localOffset + 30 + this.u16(localOffset + 26) + this.u16(localOffset + 28);
      this.need(dataOffset, compressedSize);
      this.entries.set(name, { name, method, compressedSize, size, crc32, dataOffset });
      o += 46 + nameLen + extraLen + commentLen;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  get(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (!e) fail(`no entry "${name}"`);
    return e;
  }

  /** The entry's uncompressed bytes (a view into the archive for stored entries). */
  async read(name: string): Promise<Uint8Array> {
    const e = this.get(name);
    const raw = this.bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) fail(`stored entry "${name}" has compressed size ${e.compressedSize} != size ${e.size}`);
      out = raw;
    } else if (e.method === 8) {
      out = await inflateRaw(raw, e.size, name);
    } else {
      fail(`entry "${name}" uses compression method ${e.method}; only stored (0) and deflate (8) are supported`);
    }
    if (crc32(out) !== e.crc32) fail(`entry "${name}" fails its CRC-32 check (corrupt file)`);
    return out;
  }
}

async function inflateRaw(raw: Uint8Array, size: number, name: string): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    fail(`entry "${name}" is deflate-compressed and this runtime has no DecompressionStream`);
  }
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // Errors surface on the reader; the writer's promise is only awaited to avoid an unhandled rejection.
  const written = writer.write(raw.slice()).then(() => writer.close()).catch(() => undefined);
  const reader = ds.readable.getReader();
  const out = new Uint8Array(size);
  let pos = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // The declared size bounds the output, so a crafted entry cannot inflate without limit.
      if (pos + value.length > size) fail(`entry "${name}" inflates past its declared ${size} bytes`);
      out.set(value, pos);
      pos += value.length;
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof ZipError) throw err;
    fail(`entry "${name}" is not valid deflate data (${(err as Error).message})`);
  }
  await written;
  if (pos !== size) fail(`entry "${name}" inflates to ${pos} bytes, declared ${size}`);
  return out;
}

// Slicing-by-8 tables: eight bytes per step; checking a ResNet18 checkpoint costs ~4x less than bytewise.
let CRC_TABLES: Uint32Array[] | undefined;

function crcTables(): Uint32Array[] {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k][n] = (t[0][t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8)) >>> 0;
  }
  return t;
}

export function crc32(data: Uint8Array): number {
  CRC_TABLES ??= crcTables();
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES;
  let c = 0xffffffff;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^ t0[data[i + 7]];
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
