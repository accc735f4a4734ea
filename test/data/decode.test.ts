// Node decoder: every pixel format becomes 8-bit RGBA; bad files fail with their name and why.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { NodeImageDecoder } from '../../src/data/decode-node.js';

const decoder = new NodeImageDecoder();

async function png(data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4, sixteen = false): Promise<Uint8Array> {
  // A Uint16Array input is read as 16-bit samples.
  let s = sharp(data, { raw: { width, height, channels } });
  if (sixteen) s = s.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
  return new Uint8Array(await s.png().toBuffer());
}

describe('NodeImageDecoder', () => {
  it('gray PNG becomes RGBA with R = G = B, alpha 255', async () => {
    const img = await decoder.decode(await png(Uint8Array.from([0, 50, 100, 255, 7, 9]), 3, 2, 1), 'gray.png');
    expect([img.width, img.height]).toEqual([3, 2]);
    expect([...img.rgba.slice(0, 8)]).toEqual([0, 0, 0, 255, 50, 50, 50, 255]);
  });

  it('RGB and RGBA PNG keep their channels', async () => {
    const rgb = await decoder.decode(await png(Uint8Array.from([10, 20, 30, 40, 50, 60]), 2, 1, 3), 'rgb.png');
    expect([...rgb.rgba]).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);
    const rgba = await decoder.decode(await png(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 2, 1, 4), 'rgba.png');
    expect([...rgba.rgba]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('16-bit PNG is reduced to 8 bits', async () => {
    const src = await png(Uint16Array.from([0, 65535, 32896, 1000]), 2, 2, 1, true);
    expect((await sharp(src).metadata()).depth).toBe('ushort');
    const img = await decoder.decode(src, 'deep.png');
    // libvips keeps the high byte (v >> 8): 32896 -> 128, 1000 -> 3.
    expect([img.rgba[0], img.rgba[4], img.rgba[8], img.rgba[12]]).toEqual([0, 255, 128, 3]);
  });

  it('JPEG (gray and RGB) decodes', async () => {
    const gray = new Uint8Array(await sharp(Buffer.alloc(16 * 8, 120), { raw: { width: 16, height: 8, channels: 1 } }).jpeg().toBuffer());
    const img = await decoder.decode(gray, 'g.jpg');
    expect([img.width, img.height, img.rgba.length]).toEqual([16, 8, 16 * 8 * 4]);
    expect(Math.abs(img.rgba[0]! - 120)).toBeLessThanOrEqual(2);
  });

  it('rejects zero-byte, corrupt and truncated files with the name and a reason', async () => {
    await expect(decoder.decode(new Uint8Array(0), 'a/empty.jpg')).rejects.toThrow(/a\/empty\.jpg: empty file/);
    const junk = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(decoder.decode(junk, 'a/corrupt.jpg')).rejects.toThrow(/a\/corrupt\.jpg: /);
    const full = await png(new Uint8Array(64 * 64 * 3).map((_, i) => (i * 37) % 251), 64, 64, 3);
    await expect(decoder.decode(full.slice(0, Math.floor(full.length / 2)), 'a/cut.png')).rejects.toThrow(/a\/cut\.png: /);
  });

  it('refuses images over the pixel cap before decoding them', async () => {
    const small = new NodeImageDecoder(100);
    const src = await png(new Uint8Array(20 * 10), 20, 10, 1);
    await expect(small.decode(src, 'big.png')).rejects.toThrow(/big\.png: 20x10 is 200 pixels, over the 100-pixel limit/);
  });
});
