// Line charts as inline SVG for the report's training curves (no charting library: the report
// must open offline and stay one file).
import { escapeXml, num } from './svg.js';

export interface Series {
  name: string;
  color: string;
  /** [x, y] points; non-finite y values are skipped (an epoch without validation). */
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Fixed y range, e.g. [0, 1] for accuracies; default from the data, starting at 0. */
  yRange?: readonly [number, number];
  /** Tick label format. */
  yFormat?: (v: number) => string;
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  // Integer multiples of the step, rounded to the step's decimals: 3 * 0.2 is 0.6000000000000001.
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toFixed(decimals)) + 0);
  return ticks;
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"`;

export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 280;
  const m = { left: 52, right: 16, top: 44, bottom: 40 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const fmt = options.yFormat ?? ((v: number) => String(Number(v.toPrecision(4))));
  const pts = options.series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y)));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" ${FONT} font-size="11">`);
  parts.push(`<text x="${m.left}" y="18" font-size="13" font-weight="600" fill="#1b2430">${escapeXml(options.title)}</text>`);
  if (pts.length === 0) {
    parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="#f7f9fb" stroke="#e1e6ed"/>`);
    parts.push(`<text x="${num(m.left + pw / 2)}" y="${num(m.top + ph / 2)}" text-anchor="middle" fill="#6b7686">no data recorded</text></svg>`);
    return parts.join('\n');
  }
  const xs = pts.map(([x]) => x);
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  let [y0, y1] = options.yRange ?? [Math.min(0, ...pts.map(([, y]) => y)), Math.max(...pts.map(([, y]) => y))];
  if (!(y1 > y0)) y1 = y0 + 1;
  const yTicks = niceTicks(y0, y1, 5);
  if (!options.yRange) y1 = Math.max(y1, yTicks[yTicks.length - 1]!);
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;

  for (const t of yTicks) {
    if (t < y0 - 1e-12 || t > y1 + 1e-12) continue;
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${num(sy(t))}" y2="${num(sy(t))}" stroke="#e8ecf1"/>`);
    parts.push(`<text x="${m.left - 6}" y="${num(sy(t) + 4)}" text-anchor="end" fill="#6b7686">${escapeXml(fmt(t))}</text>`);
  }
  const xTicks = niceTicks(x0, x1, Math.min(8, Math.max(1, Math.round(x1 - x0)))).filter((t) => Number.isInteger(t));
  for (const t of xTicks) {
    parts.push(`<line x1="${num(sx(t))}" x2="${num(sx(t))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#9aa5b4"/>`);
    parts.push(`<text x="${num(sx(t))}" y="${m.top + ph + 16}" text-anchor="middle" fill="#6b7686">${t}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#9aa5b4"/>`);
  parts.push(`<text x="${num(m.left + pw / 2)}" y="${height - 6}" text-anchor="middle" fill="#3b4656">${escapeXml(options.xLabel)}</text>`);

  let lx = m.left;
  for (const s of options.series) {
    const p = s.points.filter(([, y]) => Number.isFinite(y));
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="32" y2="32" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${lx + 23}" y="36" fill="#3b4656">${escapeXml(s.name)}</text>`);
    lx += 23 + s.name.length * 6.5 + 16;
    if (p.length === 0) continue;
    const d = p.map(([x, y], i) => `${i ? 'L' : 'M'}${num(sx(x))} ${num(sy(y))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    if (p.length <= 60) {
      for (const [x, y] of p) {
        parts.push(`<circle cx="${num(sx(x))}" cy="${num(sy(y))}" r="2.8" fill="#ffffff" stroke="${s.color}" stroke-width="1.6"><title>${escapeXml(`${s.name}, ${options.xLabel.toLowerCase()} ${x}: ${fmt(y)}`)}</title></circle>`);
      }
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}
