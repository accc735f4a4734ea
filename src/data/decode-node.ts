// Node image decoder on sharp (libvips). Kept apart so browser bundles never import sharp.
// Output rgba: (height, width, 4) u8; gray, RGB, RGBA and 16-bit inputs all become 8-bit RGBA.
import sharp, { type Metadata } from 'sharp';
import { checkImageSize, DEFAULT_MAX_PIXELS, type DecodedImage, type ImageDecoder } from './image.js';

export class NodeImageDecoder implements ImageDecoder {
  constructor(private readonly maxPixels = DEFAULT_MAX_PIXELS) {}

  async decode(bytes: Uint8Array, name: string): Promise<DecodedImage> {
    if (bytes.byteLength === 0) throw new Error(`${name}: empty file (0 bytes)`);
    let meta: Metadata;
    try {
      // Header first, so an absurd size is refused before any pixel memory is allocated.
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (err) {
      throw new Error(`${name}: not a readable image (${reason(err)})`);
    }
    checkImageSize(meta.width ?? 0, meta.height ?? 0, name, this.maxPixels);
    try {
      // failOn 'truncated' makes a cut-off file an error instead of a half-grey picture.
      const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: this.maxPixels })
        .toColourspace('srgb')
        .ensureAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 4) throw new Error(`decoder returned ${info.channels} channels`);
      return { width: info.width, height: info.height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } catch (err) {
      throw new Error(`${name}: decoding failed (${reason(err)})`);
    }
  }
}

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
