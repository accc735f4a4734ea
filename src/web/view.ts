// DOM helpers and the page's renderings of results: charts, classification report table,
// confusion matrix, misclassified gallery, top-k list, images on canvases. Numbers and SVGs come
// from src/report (the same code as the CLI's report.html).
import { lineChartSvg, type Series } from '../report/charts.js';
import { confusionSvg } from '../report/confusion.js';
import type { ClassificationReport } from '../report/metrics.js';
import type { Thumbnail } from '../report/html.js';
import { escapeXml } from '../report/svg.js';

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
}

export function setText(id: string, text: string): void {
  $(id).textContent = text;
}

export function show(id: string, text?: string, error = false): void {
  const el = $(id);
  if (text !== undefined) el.textContent = text;
  el.classList.toggle('error', error);
  el.hidden = false;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)}%`);

export interface CurvePoints {
  /** x = fractional epoch (step / steps per epoch). */
  trainLoss: [number, number][];
  trainAcc: [number, number][];
  valLoss: [number, number][];
  valAcc: [number, number][];
}

export function renderCharts(points: CurvePoints): void {
  const loss: Series[] = [
    { name: 'train loss', color: '#1f5fa8', points: points.trainLoss },
    { name: 'test loss', color: '#c0392b', points: points.valLoss },
  ];
  const acc: Series[] = [
    { name: 'train accuracy', color: '#1f5fa8', points: points.trainAcc },
    { name: 'test accuracy', color: '#c0392b', points: points.valAcc },
  ];
  const has = (s: Series[]) => s.some((x) => x.points.length > 0);
  $('chart-loss').innerHTML = has(loss) ? lineChartSvg({ title: 'Loss', xLabel: 'epoch', series: loss.filter((s) => s.points.length), width: 560, height: 260 }) : '';
  $('chart-acc').innerHTML = has(acc)
    ? lineChartSvg({ title: 'Accuracy', xLabel: 'epoch', series: acc.filter((s) => s.points.length), width: 560, height: 260, yRange: [0, 1], yFormat: (v) => `${Math.round(v * 100)}%` })
    : '';
}

/** The classification report as an HTML table (sklearn's rows: labels, accuracy, averages). */
export function reportTable(report: ClassificationReport, normal: ReadonlySet<number>): string {
  const f = (x: number) => x.toFixed(2);
  const rows = report.names.map((name, i) => {
    const s = report.perLabel[i]!;
    const cls = normal.has(report.labels[i]!) ? ' class="normal"' : '';
    return `<tr${cls}><td>${escapeXml(name)}</td><td>${f(s.precision)}</td><td>${f(s.recall)}</td><td>${f(s.f1)}</td><td>${s.support}</td></tr>`;
  });
  const total = report.micro.support;
  const avg = (name: string, s: { precision: number; recall: number; f1: number; support: number }) =>
    `<tr class="avg"><td>${name}</td><td>${f(s.precision)}</td><td>${f(s.recall)}</td><td>${f(s.f1)}</td><td>${s.support}</td></tr>`;
  const acc = report.microIsAccuracy
    ? `<tr class="avg"><td>accuracy</td><td></td><td></td><td>${f(report.accuracy)}</td><td>${total}</td></tr>`
    : avg('micro avg', report.micro);
  return `<table class="report" id="report-table"><thead><tr><th>label</th><th>precision</th><th>recall</th><th>f1-score</th><th>support</th></tr></thead>
<tbody>${rows.join('')}${acc}${avg('macro avg', report.macro)}${avg('weighted avg', report.weighted)}</tbody></table>`;
}

export function renderConfusion(matrix: number[][], names: readonly string[], normal: readonly number[]): void {
  $('eval-confusion').innerHTML = confusionSvg(matrix, names, { title: 'Confusion matrix (rows: true, columns: predicted)', highlight: normal });
}

export interface GalleryItem {
  file: string;
  trueName: string;
  predictedName: string;
  probability: number;
  tumourToNormal: boolean;
  url: string;
}

export function renderGallery(items: readonly GalleryItem[], total: number): void {
  const el = $('eval-gallery');
  if (total === 0) {
    el.innerHTML = '<h3>Misclassified</h3><p class="hint">No test image was misclassified.</p>';
    return;
  }
  const tn = items.filter((g) => g.tumourToNormal).length;
  const figs = items.map(
    (g) => `<figure class="${g.tumourToNormal ? 'tn' : ''}" title="${escapeXml(g.file)}"><img src="${g.url}" alt="${escapeXml(g.file)}">
<span class="t">${escapeXml(g.trueName)}</span> → <span class="p">${escapeXml(g.predictedName)}</span> ${(g.probability * 100).toFixed(0)}%</figure>`,
  );
  el.innerHTML = `<h3>Misclassified (${total}${items.length < total ? `, first ${items.length} shown` : ''}; tumour → Normal first: ${tn})</h3><div class="gallery">${figs.join('')}</div>`;
}

/** Draws RGBA pixels on a canvas at their own size (CSS scales it). */
export function drawRgba(canvas: HTMLCanvasElement, width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const data = new Uint8ClampedArray(rgba.length);
  data.set(rgba);
  ctx.putImageData(new ImageData(data, width, height), 0, 0);
}

/** A heat colour (blue → red) for t in [0, 1]. */
export function heat(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const r = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 3))));
  const g = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 2))));
  const b = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 1))));
  return [r, g, b];
}

/** Blends a (h, w) map in [0, 1] (bilinearly upsampled) over gray RGBA pixels. */
export function overlayHeat(base: Uint8Array | Uint8ClampedArray, width: number, height: number, map: ArrayLike<number>, mh: number, mw: number, alpha = 0.45): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(mh - 1, Math.max(0, ((y + 0.5) * mh) / height - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(mh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(mw - 1, Math.max(0, ((x + 0.5) * mw) / width - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(mw - 1, x0 + 1);
      const wx = fx - x0;
      const v =
        (1 - wy) * ((1 - wx) * map[y0 * mw + x0]! + wx * map[y0 * mw + x1]!) + wy * ((1 - wx) * map[y1 * mw + x0]! + wx * map[y1 * mw + x1]!);
      const [r, g, b] = heat(v);
      const i = (y * width + x) * 4;
      out[i] = (1 - alpha) * base[i]! + alpha * r;
      out[i + 1] = (1 - alpha) * base[i + 1]! + alpha * g;
      out[i + 2] = (1 - alpha) * base[i + 2]! + alpha * b;
      out[i + 3] = 255;
    }
  }
  return out;
}

export function download(bytes: Uint8Array | string, name: string, mime: string): void {
  const blob = new Blob([typeof bytes === 'string' ? bytes : (bytes as Uint8Array<ArrayBuffer>)], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A JPEG thumbnail (longest side `size`) for the gallery and report.html, made with a canvas. */
export async function makeThumbnail(bytes: Uint8Array, size = 128): Promise<Thumbnail> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  try {
    const s = Math.min(1, size / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * s)), Math.max(1, Math.round(bitmap.height * s)));
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
    return { mime: 'image/jpeg', bytes: new Uint8Array(await blob.arrayBuffer()) };
  } finally {
    bitmap.close();
  }
}

export function thumbnailUrl(t: Thumbnail): string {
  return URL.createObjectURL(new Blob([t.bytes as Uint8Array<ArrayBuffer>], { type: t.mime }));
}
