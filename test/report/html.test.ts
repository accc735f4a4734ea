// report.html and its SVGs: well-formed, self-contained, and carrying the numbers it claims.
import { deflateSync } from 'node:zlib';
import {
  base64,
  classificationReport,
  confusionMatrix,
  confusionSvg,
  escapeXml,
  formatClassificationReport,
  lineChartSvg,
  niceTicks,
  renderReport,
  type ReportData,
  type SamplePrediction,
} from '../../src/report/index.js';
import { markupErrors } from './wellformed.js';

const LABELS = ['Astrocitoma', 'Carcinoma', 'Ependimoma', 'Ganglioglioma', 'Germinoma', 'Glioblastoma', 'Granuloma', 'Meduloblastoma', 'Meningioma', 'Neurocitoma', 'Normal', 'Oligodendroglioma', 'Papiloma', 'Schwannoma', 'Tuberculoma'];
const NORMAL = 10;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

// A real (decodable) 2x2 grey PNG, built by hand so the test needs no image library.
function tinyPng(level: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 255]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0]);
  const raw = Buffer.from([0, level, level, 0, level, level]);
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

function sampleData(n = 240, seed = 5): ReportData {
  const r = rng(seed);
  const predictions: SamplePrediction[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.floor(r() * 15);
    const p = r() < 0.75 ? t : Math.floor(r() * 15);
    const sequence = ['T1', 'T1C+', 'T2'][i % 3]!;
    predictions.push({ file: `${LABELS[t]} ${sequence}/img (${i}).jpg`, trueLabel: t, predictedLabel: p, probability: 0.2 + 0.8 * r(), sequence, thumbnail: p !== t ? { mime: 'image/png', bytes: tinyPng(i % 256) } : undefined });
  }
  // Make sure the tumour-to-Normal list is not empty.
  predictions[0] = { file: 'Meningioma T1/x.jpg', trueLabel: 8, predictedLabel: NORMAL, probability: 0.91, sequence: 'T1', thumbnail: { mime: 'image/png', bytes: tinyPng(7) } };
  return {
    createdAt: '2026-11-26T22:00:00Z',
    run: { adapter: 'google swiftshader', dataset: 'synthetic', splitSizes: { train: 800, val: 120, test: n }, evaluatedOn: 'test', weights: 'runs/a/best.safetensors', bestEpoch: 3, durationSeconds: 100, config: { epochs: 4, lr: 1, note: 'a < b & c' } },
    labelNames: LABELS,
    normalLabel: NORMAL,
    predictions,
    history: [1, 2, 3, 4].map((e) => ({ epoch: e, trainLoss: 2 / e, valLoss: 2.2 / e, trainAccuracy: 0.2 * e, valAccuracy: 0.18 * e, valMacroF1: 0.15 * e })),
  };
}

describe('base64 and escaping', () => {
  it('base64 equals Node Buffer encoding for every tail length', () => {
    const r = rng(1);
    for (let len = 0; len < 40; len++) {
      const b = new Uint8Array(len).map(() => Math.floor(r() * 256));
      expect(base64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });
  it('escapes markup characters and drops XML-illegal control characters', () => {
    expect(escapeXml(`<a href="x">&'\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;\ufffd');
  });
});

describe('markup checker used below', () => {
  it('catches what it is there to catch', () => {
    expect(markupErrors('<svg><g></svg>', 'xml')).not.toEqual([]);
    expect(markupErrors('<svg><rect x=1/></svg>', 'xml')).not.toEqual([]);
    expect(markupErrors('<svg><text>a & b</text></svg>', 'xml')).not.toEqual([]);
    expect(markupErrors('<svg><text a="1" a="2">x</text></svg>', 'xml')).not.toEqual([]);
    expect(markupErrors('<svg><text>a < b</text></svg>', 'xml')).not.toEqual([]);
    expect(markupErrors('<!DOCTYPE html><html><body><p>x</div></body></html>', 'html')).not.toEqual([]);
    expect(markupErrors('<!DOCTYPE html><html><body><img src="a"><br></body></html>', 'html')).toEqual([]);
  });
});

describe('charts', () => {
  it('niceTicks gives round steps that cover the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 2.37, 5)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(1, 12, 8)).toEqual([2, 4, 6, 8, 10, 12]);
  });
  it('line chart is well-formed XML with one path per non-empty series, and survives no data', () => {
    const svg = lineChartSvg({ title: 'Loss <train>', xLabel: 'Epoch', series: [{ name: 'train', color: '#000000', points: [[1, 2], [2, 1], [3, NaN]] }, { name: 'val', color: '#ff0000', points: [] }] });
    expect(markupErrors(svg, 'xml')).toEqual([]);
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('Loss &lt;train&gt;');
    const empty = lineChartSvg({ title: 'x', xLabel: 'Epoch', series: [] });
    expect(markupErrors(empty, 'xml')).toEqual([]);
    expect(empty).toContain('no data recorded');
  });
});

describe('confusion matrix SVG', () => {
  it('is well-formed, labels both axes and prints every non-zero count', () => {
    const yTrue = [0, 0, 1, 2, 2, 2, 3];
    const yPred = [0, 2, 1, 2, 0, 2, 3];
    const names = ['A & B', 'C<D', 'Normal', 'E'];
    const m = confusionMatrix(yTrue, yPred, 4);
    const svg = confusionSvg(m, names, { title: 'Test', highlight: 2 });
    expect(markupErrors(svg, 'xml')).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // Each name twice: row label and column label.
    for (const n of names) expect(svg.split(`>${escapeXml(n)}</text>`).length - 1).toBe(2);
    // Cells: one rect per cell inside a <g> with a <title> tooltip.
    expect(svg.match(/<g><title>/g)).toHaveLength(16);
    expect(svg).toContain('<title>true Normal, predicted A &amp; B: 1 (33.3% of 3)</title>');
    const counts = [...svg.matchAll(/font-weight="600">(\d+)<\/text>|fill="#[0-9a-f]{6}">(\d+)<\/text>/g)].map((x) => Number(x[1] ?? x[2]));
    expect(counts.sort()).toEqual([1, 1, 1, 1, 2, 1].sort());
    expect(() => confusionSvg([[1]], names)).toThrow(/4x4/);
  });
});

describe('report.html', () => {
  const data = sampleData();
  const html = renderReport(data);
  const report = classificationReport(
    data.predictions.map((p) => p.trueLabel),
    data.predictions.map((p) => p.predictedLabel),
    LABELS,
  );

  it('is well-formed HTML with every section', () => {
    expect(markupErrors(html, 'html')).toEqual([]);
    const ids = [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['run', 'curves', 'report', 'sequences', 'confusion', 'tumour-as-normal', 'misclassified']);
    // Each inline SVG is well-formed XML on its own (an SVG file must be).
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(3);
    for (const s of svgs) expect(markupErrors(s, 'xml')).toEqual([]);
  });

  it('is self-contained: no external URL, no script, images only as data: URLs', () => {
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]*/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg'])); // the SVG namespace name, never fetched
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    for (const m of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^data:image\/(png|jpeg);base64,[A-Za-z0-9+/]+=*$/);
  });

  it('carries the classification report numbers and the sklearn-layout text', () => {
    report.names.forEach((name, i) => {
      const s = report.perLabel[i]!;
      const row = new RegExp(`<th scope="row">${name}</th>.*?>${s.precision.toFixed(2)}</td>.*?>${s.recall.toFixed(2)}</td>.*?>${s.f1.toFixed(2)}</td><td class="num">${s.support}</td></tr>`);
      expect(html).toMatch(row);
    });
    expect(html).toContain(`<th scope="row">accuracy</th><td></td><td></td><td class="num">${report.micro.f1.toFixed(2)}</td><td class="num">${data.predictions.length}</td>`);
    expect(html).toContain(`<th scope="row">macro avg</th><td class="num">${report.macro.precision.toFixed(2)}</td>`);
    expect(html).toContain(escapeXml(formatClassificationReport(report)));
    expect(html).toContain(`${(report.accuracy * 100).toFixed(1)}%`);
  });

  it('lists tumours predicted Normal first, then the other mistakes, each once', () => {
    const fnStart = html.indexOf('<section id="tumour-as-normal"');
    const otherStart = html.indexOf('<section id="misclassified"');
    expect(fnStart).toBeGreaterThan(0);
    expect(otherStart).toBeGreaterThan(fnStart);
    const fnHtml = html.slice(fnStart, otherStart);
    const otherHtml = html.slice(otherStart, html.indexOf('</main>'));
    const missed = data.predictions.filter((p) => p.trueLabel !== NORMAL && p.predictedLabel === NORMAL);
    const other = data.predictions.filter((p) => p.trueLabel !== p.predictedLabel && !missed.includes(p));
    expect(missed.length).toBeGreaterThan(0);
    expect(fnHtml.match(/<figure>/g)).toHaveLength(missed.length);
    expect(otherHtml.match(/<figure>/g)).toHaveLength(other.length);
    expect(fnHtml).toContain(`(${missed.length})`);
    for (const p of missed) expect(fnHtml).toContain(`title="${escapeXml(p.file)}"`);
    // Every predicted label in the first list is Normal.
    expect([...fnHtml.matchAll(/pred<\/span>([^<]*)</g)].every((m) => m[1] === 'Normal')).toBe(true);
    // The embedded bytes decode back to the caller's image.
    const first = /src="data:image\/png;base64,([^"]+)"/.exec(fnHtml)!;
    expect(Buffer.from(first[1]!, 'base64').equals(Buffer.from(missed.sort((a, b) => b.probability - a.probability)[0]!.thumbnail!.bytes))).toBe(true);
  });

  it('caps the gallery but never the tumour-to-Normal list', () => {
    const capped = renderReport({ ...data, maxGallery: 5 });
    const other = capped.slice(capped.indexOf('<section id="misclassified"'), capped.indexOf('</main>'));
    expect(other.match(/<figure>/g)).toHaveLength(5);
    expect(other).toMatch(/more not shown/);
  });

  it('has the per-sequence accuracy table', () => {
    for (const seq of ['T1', 'T1C+', 'T2']) {
      const idx = data.predictions.map((p, i) => (p.sequence === seq ? i : -1)).filter((i) => i >= 0);
      const correct = idx.filter((i) => data.predictions[i]!.trueLabel === data.predictions[i]!.predictedLabel).length;
      expect(html).toContain(`<tr><td>${seq}</td><td class="num">${idx.length}</td><td class="num">${correct}</td><td class="num">${((correct / idx.length) * 100).toFixed(1)}%</td></tr>`);
    }
  });

  it('escapes what the caller passes in', () => {
    const base = sampleData(30, 9);
    const evil: ReportData = { ...base, predictions: [{ ...base.predictions[0]!, file: '<script>alert(1)</script>"' }, ...base.predictions.slice(1)] };
    evil.run.dataset = '<img src=x onerror=alert(1)>';
    const out = renderReport(evil);
    expect(out).not.toContain('<script>alert');
    expect(out).not.toContain('<img src=x');
    expect(markupErrors(out, 'html')).toEqual([]);
    expect(out).toContain('a &lt; b &amp; c');
  });

  it('handles the 44-folder scheme with two Normal labels', () => {
    const names = LABELS.flatMap((t) => (t === 'Normal' ? ['_NORMAL T1', '_NORMAL T2'] : [`${t} T1`, `${t} T1C+`, `${t} T2`])).sort();
    expect(names).toHaveLength(44);
    const normal = [names.indexOf('_NORMAL T1'), names.indexOf('_NORMAL T2')];
    const r = rng(3);
    const predictions: SamplePrediction[] = Array.from({ length: 300 }, (_, i) => {
      const t = Math.floor(r() * 44);
      const p = r() < 0.6 ? t : r() < 0.5 ? normal[i % 2]! : Math.floor(r() * 44);
      return { file: `${i}.jpg`, trueLabel: t, predictedLabel: p, probability: r() };
    });
    const out = renderReport({ ...data, labelNames: names, normalLabel: normal, predictions });
    expect(markupErrors(out, 'html')).toEqual([]);
    const missed = predictions.filter((p) => !normal.includes(p.trueLabel) && normal.includes(p.predictedLabel)).length;
    expect(missed).toBeGreaterThan(0);
    expect(out).toContain(`Tumours predicted Normal <span class="count">(${missed})</span>`);
    expect(out).toContain('The dashed columns are Normal.');
    expect(out.match(/stroke-dasharray="4 3"/g)).toHaveLength(2);
  });

  it('refuses an empty evaluation', () => {
    expect(() => renderReport({ ...data, predictions: [] })).toThrow(/no predictions/);
  });
});
