// Writes docs/images/synthetic-grid.png: one synthetic slice per class folder (44 tiles, 11 x 4),
// labelled, so a person can judge the generated dataset at a glance.
// Usage: node --import ./scripts/dev.mjs scripts/synth-grid.ts [out.png] [seed]
import sharp, { type OverlayOptions } from 'sharp';
import { REAL_FOLDERS, NORMAL_FOLDER_TYPE, splitFolderName } from '../src/data/labels.js';
import { renderSlice, type Sequence } from '../src/data/synth.js';
import { Rng } from '../src/reference/random.js';

const out = process.argv[2] ?? 'docs/images/synthetic-grid.png';
const seed = Number(process.argv[3] ?? 1);
const TILE = 128;
const COLS = 8;
const LABEL = 16;

const tiles: OverlayOptions[] = [];
for (const [i, folder] of REAL_FOLDERS.entries()) {
  const { type, sequence } = splitFolderName(folder)!;
  const slice = renderSlice(type === NORMAL_FOLDER_TYPE ? 'Normal' : type, sequence as Sequence, new Rng(seed * 1000 + i));
  const gray = Buffer.from(slice.gray.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const tile = await sharp(gray, { raw: { width: slice.width, height: slice.height, channels: 1 } })
    .resize(TILE, TILE, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .png()
    .toBuffer();
  const left = (i % COLS) * TILE;
  const top = Math.floor(i / COLS) * (TILE + LABEL);
  tiles.push({ input: tile, left, top: top + LABEL });
  const text = folder.replace('&', '&amp;');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${TILE}" height="${LABEL}"><rect width="100%" height="100%" fill="#223"/><text x="3" y="12" font-family="sans-serif" font-size="11" fill="#fff">${text}</text></svg>`;
  tiles.push({ input: Buffer.from(svg), left, top });
}
const rows = Math.ceil(REAL_FOLDERS.length / COLS);
await sharp({ create: { width: COLS * TILE, height: rows * (TILE + LABEL), channels: 3, background: { r: 20, g: 20, b: 30 } } })
  .composite(tiles)
  .png({ compressionLevel: 9, palette: true, colours: 48 })
  .toFile(out);
console.log(`wrote ${out}`);
