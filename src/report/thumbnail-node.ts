// Node only: report thumbnails from image files (sharp). The browser page makes its own from
// canvases; both hand renderReport the same Thumbnail (PNG or JPEG bytes).
import sharp from 'sharp';
import type { Thumbnail } from './html.js';

/**
 * A square thumbnail of an image file or encoded bytes: fitted inside size x size on black
 * (scans have black backgrounds), grayscale kept as is, encoded as JPEG to keep report.html small.
 */
export async function makeThumbnail(input: string | Uint8Array, size = 128): Promise<Thumbnail> {
  const bytes = await sharp(input)
    .rotate() // honour EXIF orientation
    .resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .jpeg({ quality: 80 })
    .toBuffer();
  return { mime: 'image/jpeg', bytes: new Uint8Array(bytes) };
}
