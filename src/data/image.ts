// Decoded images and the decoder interface. Browser code imports only this file (never sharp);
// Node code gets its decoder from decode-node.ts.
// rgba: (height, width, 4) u8, row-major, alpha last.

export interface DecodedImage {
  width: number;
  height: number;
  /** 8-bit RGBA, row-major, width*height*4 bytes. */
  rgba: Uint8Array;
}

export interface ImageDecoder {
  /** Decodes one file's bytes; `name` is only for messages. Rejects with a readable reason. */
  decode(bytes: Uint8Array, name: string): Promise<DecodedImage>;
}

/** Largest image accepted by default (pixels): far above any scan, far below memory trouble. */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/** Throws a readable error for sizes no scan has (zero, or above `maxPixels`). */
export function checkImageSize(width: number, height: number, name: string, maxPixels = DEFAULT_MAX_PIXELS): void {
  if (!(width > 0 && height > 0)) throw new Error(`${name}: image has no pixels (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new Error(`${name}: ${width}x${height} is ${width * height} pixels, over the ${maxPixels}-pixel limit; refusing to decode`);
  }
}

/** Browser decoder: createImageBitmap plus a 2D canvas readback. */
export class BrowserImageDecoder implements ImageDecoder {
  constructor(private readonly maxPixels = DEFAULT_MAX_PIXELS) {}
  async decode(bytes: Uint8Array, name: string): Promise<DecodedImage> {
    const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    try {
      checkImageSize(bitmap.width, bitmap.height, name, this.maxPixels);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error(`${name}: no 2D canvas context to read pixels`);
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      return { width: bitmap.width, height: bitmap.height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } finally {
      bitmap.close();
    }
  }
}
