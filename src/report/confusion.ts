// The confusion matrix as a self-contained SVG: rows = true label, columns = predicted label,
// counts in the cells, shading by the row's share (recall per true label) so small classes read
// as clearly as large ones. Correct predictions (diagonal) in blue, errors in red.
import { escapeXml, luminance, mix, num, textWidth } from './svg.js';

export interface ConfusionSvgOptions {
  title?: string;
  /** Cell side in px (default 36). */
  cell?: number;
  /** Label indices drawn with emphasis on both axes: the Normal label(s). */
  highlight?: number | readonly number[];
}

const WHITE = '#ffffff';
const BLUE = '#1f5fa8';
const RED = '#c0392b';
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"`;

export function confusionSvg(matrix: readonly (readonly number[])[], names: readonly string[], options: ConfusionSvgOptions = {}): string {
  const n = names.length;
  if (matrix.length !== n || matrix.some((r) => r.length !== n)) {
    throw new RangeError(`confusionSvg: matrix must be ${n}x${n} for ${n} names`);
  }
  // Smaller cells and type for the 44-folder scheme so the matrix stays on a page.
  const cell = options.cell ?? (n > 20 ? 24 : 36);
  const fs = n > 20 ? 10 : 12;
  const hl = new Set(options.highlight === undefined ? [] : typeof options.highlight === 'number' ? [options.highlight] : options.highlight);
  const nameW = Math.ceil(Math.max(...names.map((s) => textWidth(s, fs)), 20));
  const titleH = options.title ? 30 : 0;
  const left = nameW + 40; // names + "True label" axis title
  const top = titleH + 34; // "Predicted label" axis title above the columns' names
  const colNamesH = Math.ceil(nameW * Math.SQRT1_2) + 16; // names at 45 degrees below the grid
  const grid = cell * n;
  const legendW = 70;
  const width = left + grid + 16 + legendW;
  const height = top + grid + colNamesH + 8;
  const rowSums = matrix.map((r) => r.reduce((a, b) => a + b, 0));

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title ?? 'Confusion matrix')}" ${FONT} font-size="${fs}">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title) parts.push(`<text x="${num(width / 2)}" y="20" text-anchor="middle" font-size="15" font-weight="600" fill="#1b2430">${escapeXml(options.title)}</text>`);
  parts.push(`<text x="${num(left + grid / 2)}" y="${titleH + 20}" text-anchor="middle" font-weight="600" fill="#3b4656">Predicted label</text>`);
  parts.push(`<text transform="translate(14 ${num(top + grid / 2)}) rotate(-90)" text-anchor="middle" font-weight="600" fill="#3b4656">True label</text>`);

  for (let r = 0; r < n; r++) {
    const y = top + r * cell;
    parts.push(`<text x="${left - 6}" y="${num(y + cell / 2 + fs / 3)}" text-anchor="end" fill="#1b2430"${hl.has(r) ? ' font-weight="700"' : ''}>${escapeXml(names[r]!)}</text>`);
    for (let c = 0; c < n; c++) {
      const x = left + c * cell;
      const count = matrix[r]![c]!;
      const share = rowSums[r]! > 0 ? count / rowSums[r]! : 0;
      // sqrt so a few errors in a large row are still visible.
      const fill = count === 0 ? (r === c ? '#f3f6fa' : WHITE) : mix(WHITE, r === c ? BLUE : RED, 0.12 + 0.88 * Math.sqrt(share));
      const tip = `true ${names[r]}, predicted ${names[c]}: ${count}${rowSums[r]! > 0 ? ` (${(share * 100).toFixed(1)}% of ${rowSums[r]})` : ''}`;
      parts.push(`<g><title>${escapeXml(tip)}</title><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#e1e6ed" stroke-width="1"/>`);
      if (count > 0) {
        const ink = luminance(fill) < 0.4 ? '#ffffff' : '#1b2430';
        parts.push(`<text x="${num(x + cell / 2)}" y="${num(y + cell / 2 + fs / 3)}" text-anchor="middle" fill="${ink}"${r === c ? ' font-weight="600"' : ''}>${count}</text>`);
      }
      parts.push('</g>');
    }
  }
  parts.push(`<rect x="${left}" y="${top}" width="${grid}" height="${grid}" fill="none" stroke="#9aa5b4" stroke-width="1"/>`);
  for (const h of hl) {
    if (h < 0 || h >= n) continue;
    // Outline the Normal column: tumours predicted Normal are the costly errors.
    parts.push(`<rect x="${left + h * cell}" y="${top}" width="${cell}" height="${grid}" fill="none" stroke="#7a1f14" stroke-width="2" stroke-dasharray="4 3"/>`);
  }
  for (let c = 0; c < n; c++) {
    const x = left + c * cell + cell / 2;
    const y = top + grid + 10;
    parts.push(`<text transform="translate(${num(x + 4)} ${num(y)}) rotate(-45)" text-anchor="end" fill="#1b2430"${hl.has(c) ? ' font-weight="700"' : ''}>${escapeXml(names[c]!)}</text>`);
  }

  // Legend: share of the true label's row.
  const lx = left + grid + 24;
  const lh = Math.min(grid, 160);
  const steps = 10;
  parts.push(`<text x="${lx}" y="${top - 6}" font-size="11" fill="#3b4656">row share</text>`);
  for (let i = 0; i < steps; i++) {
    const t = 1 - i / steps;
    const y = top + (i * lh) / steps;
    parts.push(`<rect x="${lx}" y="${num(y)}" width="12" height="${num(lh / steps + 0.5)}" fill="${mix(WHITE, BLUE, 0.12 + 0.88 * Math.sqrt(t))}"/>`);
    parts.push(`<rect x="${lx + 14}" y="${num(y)}" width="12" height="${num(lh / steps + 0.5)}" fill="${mix(WHITE, RED, 0.12 + 0.88 * Math.sqrt(t))}"/>`);
  }
  parts.push(`<text x="${lx + 30}" y="${top + 9}" font-size="11" fill="#3b4656">100%</text>`);
  parts.push(`<text x="${lx + 30}" y="${num(top + lh)}" font-size="11" fill="#3b4656">0%</text>`);
  parts.push(`<text x="${lx}" y="${num(top + lh + 16)}" font-size="11" fill="${BLUE}">correct</text>`);
  parts.push(`<text x="${lx}" y="${num(top + lh + 30)}" font-size="11" fill="${RED}">wrong</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
