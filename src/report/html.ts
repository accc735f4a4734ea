// report.html: one self-contained file (inline CSS and SVG, thumbnails as data: URLs, no
// script, no network) that summarises a run and its evaluation. Pure string building, so the
// browser page can produce the same report as the CLI.
import { lineChartSvg, type Series } from './charts.js';
import { confusionSvg } from './confusion.js';
import { accuracyByGroup, classificationReport, confusionMatrix, formatClassificationReport, isTumourPredictedNormal, normalSet, type LabelScores } from './metrics.js';
import { base64, escapeXml } from './svg.js';

export interface Thumbnail {
  mime: 'image/png' | 'image/jpeg';
  bytes: Uint8Array;
}

/** One evaluated image. */
export interface SamplePrediction {
  /** Path shown under the thumbnail, usually relative to the dataset root. */
  file: string;
  trueLabel: number;
  predictedLabel: number;
  /** Softmax probability of the predicted label. */
  probability: number;
  /** Softmax probability of the true label, when known. */
  trueProbability?: number;
  /** MRI sequence: "T1", "T1C+", "T2". */
  sequence?: string;
  /** Needed only for misclassified samples (the gallery); ignored for correct ones. */
  thumbnail?: Thumbnail;
}

/** One line of metrics.jsonl per finished epoch (fields absent when not measured). */
export interface EpochRecord {
  epoch: number;
  trainLoss?: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valMacroF1?: number;
}

export interface ReportData {
  title?: string;
  /** ISO time the report was made. */
  createdAt: string;
  run: {
    /** Adapter description as the CLI prints it, e.g. "google swiftshader (SwiftShader, CPU)". */
    adapter: string;
    /** Dataset root or "synthetic". */
    dataset: string;
    /** Subset name -> number of images, e.g. { train: 3100, val: 670, test: 670 }. */
    splitSizes: Record<string, number>;
    /** Which subset the predictions below come from, e.g. "test". */
    evaluatedOn: string;
    /** Weights file evaluated. */
    weights?: string;
    runDir?: string;
    bestEpoch?: number;
    durationSeconds?: number;
    /** The resolved options of the run (config.json). */
    config: Record<string, unknown>;
  };
  /** Label names by label index. */
  labelNames: readonly string[];
  /** Index of the Normal label (or both Normal folders in the 44-label scheme): tumours predicted Normal are listed first. */
  normalLabel: number | readonly number[];
  predictions: readonly SamplePrediction[];
  history: readonly EpochRecord[];
  /** Most misclassified images shown in the gallery (tumour-to-Normal ones are always shown). Default 120. */
  maxGallery?: number;
  /** Sequences in display order; default T1, T1C+, T2. */
  sequences?: readonly string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const f2 = (x: number) => x.toFixed(2);

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function formatSeconds(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

// A cell whose background bar shows the value, so weak classes stand out in the table.
function scoreCell(v: number): string {
  const hue = v >= 0.8 ? '#d7ecdf' : v >= 0.5 ? '#fbefd0' : '#f8d9d5';
  return `<td class="num score" style="background:linear-gradient(90deg, ${hue} ${(v * 100).toFixed(1)}%, transparent ${(v * 100).toFixed(1)}%)">${f2(v)}</td>`;
}

function reportTable(names: readonly string[], rows: readonly LabelScores[], avg: { label: string; s: LabelScores; accuracyOnly?: boolean }[], normalName: string): string {
  const body = names
    .map((n, i) => {
      const s = rows[i]!;
      return `<tr${n === normalName ? ' class="normal-row"' : ''}><th scope="row">${escapeXml(n)}</th>${scoreCell(s.precision)}${scoreCell(s.recall)}${scoreCell(s.f1)}<td class="num">${s.support}</td></tr>`;
    })
    .join('\n');
  const foot = avg
    .map(({ label, s, accuracyOnly }) =>
      accuracyOnly
        ? `<tr><th scope="row">${label}</th><td></td><td></td><td class="num">${f2(s.f1)}</td><td class="num">${s.support}</td></tr>`
        : `<tr><th scope="row">${label}</th><td class="num">${f2(s.precision)}</td><td class="num">${f2(s.recall)}</td><td class="num">${f2(s.f1)}</td><td class="num">${s.support}</td></tr>`,
    )
    .join('\n');
  return `<table class="report"><thead><tr><th></th><th>precision</th><th>recall</th><th>f1-score</th><th>support</th></tr></thead>
<tbody>
${body}
</tbody>
<tfoot>
${foot}
</tfoot></table>`;
}

function card(label: string, value: string, note = '', tone = ''): string {
  return `<div class="card${tone ? ' ' + tone : ''}"><div class="card-label">${escapeXml(label)}</div><div class="card-value">${escapeXml(value)}</div>${note ? `<div class="card-note">${escapeXml(note)}</div>` : ''}</div>`;
}

function figure(p: SamplePrediction, names: readonly string[]): string {
  const img = p.thumbnail
    ? `<img src="data:${p.thumbnail.mime};base64,${base64(p.thumbnail.bytes)}" alt="${escapeXml(p.file)}" width="128" height="128">`
    : `<div class="noimg">no thumbnail</div>`;
  const trueName = escapeXml(names[p.trueLabel] ?? String(p.trueLabel));
  const predName = escapeXml(names[p.predictedLabel] ?? String(p.predictedLabel));
  const probs = `p ${pct(p.probability)}${p.trueProbability !== undefined ? ` · true ${pct(p.trueProbability)}` : ''}`;
  const where = `${p.sequence ? `<b>${escapeXml(p.sequence)}</b> ` : ''}${escapeXml(p.file)}`;
  return `<figure>${img}<figcaption><div class="lab" title="${trueName}"><span class="tag true">true</span>${trueName}</div><div class="lab" title="${predName}"><span class="tag pred">pred</span>${predName}</div><div class="prob">${probs}</div><div class="file" title="${escapeXml(p.file)}">${where}</div></figcaption></figure>`;
}

const CSS = `
:root{--ink:#1b2430;--muted:#5d6878;--line:#e1e6ed;--bg:#f5f7fa;--accent:#1f5fa8;--bad:#b03a2e;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header{background:#17324f;color:#fff;padding:22px 32px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .sub{color:#c5d3e3;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:20px 32px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin:18px 0}
h2{font-size:16px;margin:0 0 12px;font-weight:600}
h2 .count{color:var(--muted);font-weight:400}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:18px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.card-label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card-value{font-size:24px;font-weight:600;margin-top:2px}
.card-note{color:var(--muted);font-size:12px}
.card.alert{border-color:#e6b3ad;background:#fdf3f2}.card.alert .card-value{color:var(--bad)}
.card.ok .card-value{color:#1e7a46}
table{border-collapse:collapse}
td,th{padding:4px 10px;text-align:left}
.kv th{color:var(--muted);font-weight:500;padding-left:0;white-space:nowrap;vertical-align:top}
.kv td{word-break:break-all}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
table.report{min-width:560px}
table.report thead th{border-bottom:2px solid var(--line);text-align:right;color:var(--muted);font-weight:500}
table.report tbody th,table.report tfoot th{text-align:right;font-weight:500;padding-right:16px;white-space:nowrap}
table.report tbody tr:nth-child(even){background:#fafbfc}
table.report tfoot tr:first-child td,table.report tfoot tr:first-child th{border-top:2px solid var(--line)}
table.report tfoot th{color:var(--muted)}
.num{text-align:right;font-variant-numeric:tabular-nums}
.score{min-width:80px}
tr.normal-row th{color:var(--accent)}
pre{background:#f7f9fb;border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;font-size:12px}
details summary{cursor:pointer;color:var(--accent);margin-top:10px}
.svgbox{overflow:auto}
.svgbox svg{max-width:100%;height:auto}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px;background:#fcfcfd}
figure img,.noimg{display:block;width:100%;height:auto;aspect-ratio:1;object-fit:contain;background:#000;border-radius:4px;image-rendering:auto}
.noimg{display:flex;align-items:center;justify-content:center;color:#999;font-size:12px}
figcaption{font-size:12px;margin-top:6px}
.lab{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tag{display:inline-block;width:34px;text-align:center;font-size:10px;text-transform:uppercase;border-radius:3px;padding:0 4px;margin-right:5px;color:#fff}
.tag.true{background:#3b7d4f}.tag.pred{background:var(--bad)}
.prob{color:var(--ink);font-variant-numeric:tabular-nums}
.file{color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.fn{border-color:#e6b3ad}
.fn h2{color:var(--bad)}
.note{color:var(--muted);font-size:13px}
table.seq td,table.seq th{border-bottom:1px solid var(--line)}
table.seq th{color:var(--muted);font-weight:500}
footer{color:var(--muted);font-size:12px;text-align:center;padding:12px}
@media print{body{background:#fff}section{break-inside:avoid}}
`;

export function renderReport(data: ReportData): string {
  const names = data.labelNames;
  const preds = data.predictions;
  if (preds.length === 0) throw new RangeError('renderReport: no predictions to report');
  const yTrue = preds.map((p) => p.trueLabel);
  const yPred = preds.map((p) => p.predictedLabel);
  const normal = normalSet(data.normalLabel);
  const normalName = normal.size === 1 ? (names[[...normal][0]!] ?? 'Normal') : 'Normal';

  // The table covers the labels present (sklearn's default); the matrix always shows all labels.
  const report = classificationReport(yTrue, yPred, names);
  const text = formatClassificationReport(report);
  const matrix = confusionMatrix(yTrue, yPred, names.length);
  const seqOrder = data.sequences ?? ['T1', 'T1C+', 'T2'];
  const hasSeq = preds.some((p) => p.sequence !== undefined);
  const bySeq = hasSeq ? accuracyByGroup(yTrue, yPred, preds.map((p) => p.sequence ?? 'unknown'), seqOrder) : [];

  const wrong = preds.filter((p) => p.trueLabel !== p.predictedLabel);
  const missed = wrong.filter((p) => isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normal));
  const otherWrong = wrong.filter((p) => !isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normal));
  // Most confident mistakes first: they are the ones worth looking at.
  const byConfidence = (a: SamplePrediction, b: SamplePrediction) => b.probability - a.probability;
  missed.sort(byConfidence);
  otherWrong.sort(byConfidence);
  const maxGallery = data.maxGallery ?? 120;
  const shown = otherWrong.slice(0, maxGallery);

  const title = data.title ?? 'Brain MRI classifier — evaluation report';
  const run = data.run;
  const splitText = Object.entries(run.splitSizes)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');

  const cards = [
    card('Accuracy', pct(report.accuracy), `${preds.length - wrong.length} of ${preds.length} ${run.evaluatedOn} images`),
    card('Macro F1', f2(report.macro.f1), 'unweighted mean over labels'),
    card('Weighted F1', f2(report.weighted.f1), 'weighted by support'),
    card('Tumour → Normal', String(missed.length), missed.length ? 'tumours predicted Normal' : 'no tumour predicted Normal', missed.length ? 'alert' : 'ok'),
    card('Misclassified', String(wrong.length), `${pct(wrong.length / preds.length)} of images`),
  ].join('\n');

  const runRows: [string, string][] = [
    ['Adapter', run.adapter],
    ['Dataset', run.dataset],
    ['Split sizes', splitText],
    ['Evaluated on', `${run.evaluatedOn} (${preds.length} images)`],
  ];
  if (run.weights) runRows.push(['Weights', run.weights]);
  if (run.runDir) runRows.push(['Run folder', run.runDir]);
  if (run.bestEpoch !== undefined) runRows.push(['Best epoch', String(run.bestEpoch)]);
  if (run.durationSeconds !== undefined) runRows.push(['Training time', formatSeconds(run.durationSeconds)]);
  const kv = (rows: [string, string][]) => `<table class="kv">${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('')}</table>`;
  const configRows = Object.entries(run.config).map(([k, v]) => [k, formatValue(v)] as [string, string]);

  const epochs = [...data.history].sort((a, b) => a.epoch - b.epoch);
  const series = (key: keyof EpochRecord): [number, number][] => epochs.filter((e) => typeof e[key] === 'number').map((e) => [e.epoch, e[key] as number]);
  const lossChart = lineChartSvg({
    title: 'Loss',
    xLabel: 'Epoch',
    series: [
      { name: 'train', color: '#1f5fa8', points: series('trainLoss') },
      { name: 'validation', color: '#d9822b', points: series('valLoss') },
    ] satisfies Series[],
  });
  const accChart = lineChartSvg({
    title: 'Accuracy and macro F1',
    xLabel: 'Epoch',
    yRange: [0, 1],
    yFormat: (v) => `${Math.round(v * 100)}%`,
    series: [
      { name: 'train acc', color: '#1f5fa8', points: series('trainAccuracy') },
      { name: 'val acc', color: '#d9822b', points: series('valAccuracy') },
      { name: 'val macro F1', color: '#3b7d4f', points: series('valMacroF1'), dashed: true },
    ],
  });

  const avgRows = [
    report.microIsAccuracy ? { label: 'accuracy', s: report.micro, accuracyOnly: true } : { label: 'micro avg', s: report.micro },
    { label: 'macro avg', s: report.macro },
    { label: 'weighted avg', s: report.weighted },
  ];
  const absent = names.filter((_, i) => !report.labels.includes(i));

  const seqTable = hasSeq
    ? `<table class="seq"><thead><tr><th>Sequence</th><th class="num">Images</th><th class="num">Correct</th><th class="num">Accuracy</th></tr></thead><tbody>${bySeq
        .map((g) => `<tr><td>${escapeXml(g.group)}</td><td class="num">${g.total}</td><td class="num">${g.correct}</td><td class="num">${g.total ? pct(g.accuracy) : '—'}</td></tr>`)
        .join('')}</tbody></table>`
    : `<p class="note">No sequence information was given for these images.</p>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeXml(title)}</h1><div class="sub">${escapeXml(run.dataset)} · ${escapeXml(run.evaluatedOn)} set · ${escapeXml(data.createdAt)}</div></header>
<main>
<div class="cards">
${cards}
</div>

<section id="run"><h2>Run</h2>
<div class="grid2"><div>${kv(runRows)}</div><div>
<details${configRows.length <= 14 ? ' open' : ''}><summary>Configuration (${configRows.length} options)</summary>${kv(configRows)}</details>
</div></div>
</section>

<section id="curves"><h2>Training curves</h2>
<div class="grid2"><div class="svgbox">${lossChart}</div><div class="svgbox">${accChart}</div></div>
${epochs.length === 0 ? '<p class="note">No epoch history was recorded for this run.</p>' : ''}
</section>

<section id="report"><h2>Classification report <span class="count">(${escapeXml(run.evaluatedOn)}, ${preds.length} images)</span></h2>
${reportTable(report.names, report.perLabel, avgRows, normalName)}
${absent.length ? `<p class="note">Not in this set and never predicted: ${absent.map(escapeXml).join(', ')}.</p>` : ''}
<details><summary>As text (scikit-learn layout)</summary><pre>${escapeXml(text)}</pre></details>
</section>

<section id="sequences"><h2>Accuracy by MRI sequence</h2>
${seqTable}
</section>

<section id="confusion"><h2>Confusion matrix</h2>
<p class="note">Rows are true labels, columns predictions; shading is each cell's share of its row. The dashed column${normal.size > 1 ? 's are' : ' is'} ${escapeXml(normalName)}.</p>
<div class="svgbox">${confusionSvg(matrix, names, { highlight: data.normalLabel })}</div>
</section>

<section id="tumour-as-normal" class="fn"><h2>Tumours predicted ${escapeXml(normalName)} <span class="count">(${missed.length})</span></h2>
${missed.length ? `<p class="note">The costliest errors: a tumour the model calls healthy. Most confident first.</p><div class="gallery">${missed.map((p) => figure(p, names)).join('\n')}</div>` : `<p class="note">None: no tumour image was predicted ${escapeXml(normalName)}.</p>`}
</section>

<section id="misclassified"><h2>Other misclassified images <span class="count">(${otherWrong.length}${shown.length < otherWrong.length ? `, ${shown.length} shown` : ''})</span></h2>
${shown.length ? `<div class="gallery">${shown.map((p) => figure(p, names)).join('\n')}</div>` : '<p class="note">None.</p>'}
${shown.length < otherWrong.length ? `<p class="note">${otherWrong.length - shown.length} more not shown (the least confident ones).</p>` : ''}
</section>

</main>
<footer>brain-mri-webgpu · generated ${escapeXml(data.createdAt)}</footer>
</body>
</html>
`;
}
