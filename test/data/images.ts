// Small test pictures: a bright noisy ellipse ("head") on a black frame, optional thin border.
import type { RgbaImage } from '../../src/reference/autocrop.js';
import { Rng } from '../../src/reference/random.js';

export interface HeadSpec {
  width: number;
  height: number;
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  border?: number;
}

export function headImage(spec: HeadSpec, rng: Rng): RgbaImage {
  const { width, height } = spec;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = ((x + 0.5 - spec.cx) / spec.rx) ** 2 + ((y + 0.5 - spec.cy) / spec.ry) ** 2;
      let v = d <= 1 ? 90 + rng.int(150) : rng.int(6);
      if (spec.border && (x < spec.border || y < spec.border || x >= width - spec.border || y >= height - spec.border)) v = 250;
      const i = (y * width + x) * 4;
      rgba[i] = v;
      rgba[i + 1] = Math.min(255, v + rng.int(3));
      rgba[i + 2] = v;
      rgba[i + 3] = 255;
    }
  }
  return { width, height, rgba };
}

export function randomImage(width: number, height: number, rng: Rng): RgbaImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = rng.int(256);
  return { width, height, rgba };
}
