// From logits to what the user sees: probabilities (softmax in float64), the predicted label,
// top-k lists for `predict`, and predictions.csv for spreadsheets.
// logits: (N, K) row-major, one row per image.

export interface Predictions {
  /** argmax per row; ties go to the lowest label index (numpy's and PyTorch's argmax). */
  predicted: Int32Array;
  /** Softmax probability of the predicted label per row. */
  probability: Float64Array;
  /** (N, K) softmax probabilities. */
  probabilities: Float64Array;
}

/** Row-wise softmax in float64, max-subtracted so large logits cannot overflow. */
export function softmaxRows(logits: ArrayLike<number>, numLabels: number): Float64Array {
  if (!Number.isInteger(numLabels) || numLabels < 1 || logits.length % numLabels !== 0) {
    throw new RangeError(`softmaxRows: ${logits.length} logits is not a whole number of rows of ${numLabels}`);
  }
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / numLabels; r++) {
    const o = r * numLabels;
    let max = -Infinity;
    for (let k = 0; k < numLabels; k++) {
      const v = logits[o + k]!;
      if (!Number.isFinite(v)) throw new RangeError(`softmaxRows: row ${r} has a non-finite logit (${v}) at label ${k}: the model output is broken (diverged training?)`);
      if (v > max) max = v;
    }
    let sum = 0;
    for (let k = 0; k < numLabels; k++) sum += out[o + k] = Math.exp(logits[o + k]! - max);
    for (let k = 0; k < numLabels; k++) out[o + k]! /= sum;
  }
  return out;
}

export function predictFromLogits(logits: ArrayLike<number>, numLabels: number): Predictions {
  const probabilities = softmaxRows(logits, numLabels);
  const n = probabilities.length / numLabels;
  const predicted = new Int32Array(n);
  const probability = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let k = 1; k < numLabels; k++) if (logits[r * numLabels + k]! > logits[r * numLabels + best]!) best = k;
    predicted[r] = best;
    probability[r] = probabilities[r * numLabels + best]!;
  }
  return { predicted, probability, probabilities };
}

export interface Ranked {
  label: number;
  probability: number;
}

/** The k most probable labels of one row, most probable first (ties: lower label first). */
export function topK(probabilities: ArrayLike<number>, k: number): Ranked[] {
  const all = Array.from(probabilities, (probability, label) => ({ label, probability }));
  all.sort((a, b) => b.probability - a.probability || a.label - b.label);
  return all.slice(0, Math.max(0, k));
}

export interface FilePrediction {
  file: string;
  /** One row of softmax probabilities (K values). */
  probabilities: ArrayLike<number>;
}

/**
 * `predict`'s console output: one line per image with its top-k labels, e.g.
 * `scan.jpg  Meningioma 91.2%  Normal 5.1%  Schwannoma 1.9%`.
 */
export function formatTopK(rows: readonly FilePrediction[], labelNames: readonly string[], k = 3): string {
  const width = Math.min(60, Math.max(4, ...rows.map((r) => r.file.length)));
  return rows
    .map((r) => {
      const name = r.file.length > width ? '…' + r.file.slice(r.file.length - width + 1) : r.file.padEnd(width);
      const ranked = topK(r.probabilities, k).map((t) => `${labelNames[t.label] ?? t.label} ${(t.probability * 100).toFixed(1)}%`);
      return `${name}  ${ranked.join('  ')}`;
    })
    .join('\n');
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface CsvRow {
  file: string;
  predictedLabel: number;
  probabilities: ArrayLike<number>;
  trueLabel?: number;
  sequence?: string;
}

/**
 * predictions.csv (RFC 4180: quoted where needed, CRLF line ends): file, sequence, true and
 * predicted label names, then one probability column per label.
 */
export function predictionsCsv(rows: readonly CsvRow[], labelNames: readonly string[]): string {
  const head = ['file', 'sequence', 'true', 'predicted', 'probability', ...labelNames.map((n) => `p_${n}`)];
  const lines = [head.map(csvField).join(',')];
  for (const r of rows) {
    if (r.probabilities.length !== labelNames.length) throw new RangeError(`predictionsCsv: ${r.file} has ${r.probabilities.length} probabilities for ${labelNames.length} labels`);
    lines.push(
      [
        r.file,
        r.sequence ?? '',
        r.trueLabel === undefined ? '' : (labelNames[r.trueLabel] ?? String(r.trueLabel)),
        labelNames[r.predictedLabel] ?? String(r.predictedLabel),
        r.probabilities[r.predictedLabel]!.toPrecision(6),
        ...Array.from(r.probabilities, (p) => p.toPrecision(6)),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
