// Classification metrics over integer labels, with scikit-learn's classification_report
// semantics (zero_division "warn" -> 0.0) so numbers and text match the reference notebook.
// Pure TypeScript: used by the Node CLI and the browser page alike.

export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  /** Label ids the report covers, in row order. */
  labels: number[];
  /** Display names, one per entry of `labels`. */
  names: string[];
  perLabel: LabelScores[];
  /**
   * sklearn prints an "accuracy" row when the labels cover exactly the labels present in y_true
   * and y_pred; otherwise the same micro average is printed as "micro avg".
   */
  microIsAccuracy: boolean;
  micro: LabelScores;
  macro: LabelScores;
  weighted: LabelScores;
  /** Fraction of all samples predicted correctly (over every sample, like sklearn's accuracy_score). */
  accuracy: number;
}

export interface ReportOptions {
  /**
   * Label ids to report, in order. Default: the sorted labels present in yTrue or yPred
   * (sklearn's `labels=None`).
   */
  labels?: readonly number[];
}

type Labels = ArrayLike<number>;

function checkPair(yTrue: Labels, yPred: Labels): void {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`metrics: yTrue has ${yTrue.length} samples but yPred has ${yPred.length}`);
  }
  for (let i = 0; i < yTrue.length; i++) {
    if (!Number.isInteger(yTrue[i]) || !Number.isInteger(yPred[i]) || yTrue[i]! < 0 || yPred[i]! < 0) {
      throw new RangeError(`metrics: labels must be non-negative integers (sample ${i}: true ${yTrue[i]}, predicted ${yPred[i]})`);
    }
  }
}

/** Sorted labels present in either array (sklearn's unique_labels). */
export function presentLabels(yTrue: Labels, yPred: Labels): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < yTrue.length; i++) seen.add(yTrue[i]!);
  for (let i = 0; i < yPred.length; i++) seen.add(yPred[i]!);
  return [...seen].sort((a, b) => a - b);
}

/**
 * Confusion matrix, rows = true label, columns = predicted label, both in `labels` order
 * (default 0..numLabels-1). Samples whose true or predicted label is not listed are left out,
 * as sklearn's confusion_matrix does.
 */
export function confusionMatrix(yTrue: Labels, yPred: Labels, labels: readonly number[] | number): number[][] {
  checkPair(yTrue, yPred);
  const list = typeof labels === 'number' ? Array.from({ length: labels }, (_, i) => i) : [...labels];
  const index = new Map(list.map((l, i) => [l, i]));
  const m = list.map(() => new Array<number>(list.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const r = index.get(yTrue[i]!);
    const c = index.get(yPred[i]!);
    if (r !== undefined && c !== undefined) m[r]![c]!++;
  }
  return m;
}

// 0/0 -> 0.0: sklearn's default zero_division ("warn") sets the value to 0 after warning.
function divide(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

// Same operation order as sklearn's precision_recall_fscore_support with beta = 1:
// (1 + beta^2) * p * r / (beta^2 * p + r), a zero denominator replaced by 1.
function fscore(p: number, r: number): number {
  const den = p + r;
  return (2 * p * r) / (den === 0 ? 1 : den);
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function classificationReport(yTrue: Labels, yPred: Labels, labelNames: readonly string[], options: ReportOptions = {}): ClassificationReport {
  checkPair(yTrue, yPred);
  if (yTrue.length === 0) throw new RangeError('metrics: no samples');
  const present = presentLabels(yTrue, yPred);
  const labels = options.labels ? [...options.labels] : present;
  if (labels.length === 0) throw new RangeError('metrics: empty label list');
  const names = labels.map((l) => {
    const n = labelNames[l];
    if (n === undefined) throw new RangeError(`metrics: label ${l} has no name (${labelNames.length} names given)`);
    return n;
  });
  const index = new Map(labels.map((l, i) => [l, i]));
  if (index.size !== labels.length) throw new RangeError(`metrics: repeated label in [${labels.join(', ')}]`);

  const tp = new Array<number>(labels.length).fill(0);
  const predSum = new Array<number>(labels.length).fill(0);
  const trueSum = new Array<number>(labels.length).fill(0);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]!);
    const p = index.get(yPred[i]!);
    if (t !== undefined) trueSum[t]!++;
    if (p !== undefined) predSum[p]!++;
    if (yTrue[i] === yPred[i]) {
      correct++;
      if (t !== undefined) tp[t]!++;
    }
  }

  const perLabel: LabelScores[] = labels.map((_, i) => {
    const precision = divide(tp[i]!, predSum[i]!);
    const recall = divide(tp[i]!, trueSum[i]!);
    return { precision, recall, f1: fscore(precision, recall), support: trueSum[i]! };
  });
  const totalSupport = trueSum.reduce((a, b) => a + b, 0);

  const tpAll = tp.reduce((a, b) => a + b, 0);
  const microP = divide(tpAll, predSum.reduce((a, b) => a + b, 0));
  const microR = divide(tpAll, totalSupport);
  const micro = { precision: microP, recall: microR, f1: fscore(microP, microR), support: totalSupport };

  const macro = {
    precision: mean(perLabel.map((s) => s.precision)),
    recall: mean(perLabel.map((s) => s.recall)),
    f1: mean(perLabel.map((s) => s.f1)),
    support: totalSupport,
  };

  let weighted: LabelScores;
  if (totalSupport === 0) {
    // sklearn: no true samples among the labels -> zero_division value (0) or 0.
    weighted = { precision: 0, recall: 0, f1: 0, support: 0 };
  } else {
    const wavg = (key: 'precision' | 'recall' | 'f1') => {
      let s = 0;
      for (let i = 0; i < labels.length; i++) s += perLabel[i]![key] * trueSum[i]!;
      return s / totalSupport;
    };
    weighted = { precision: wavg('precision'), recall: wavg('recall'), f1: wavg('f1'), support: totalSupport };
  }

  const presentSet = new Set(present);
  const microIsAccuracy = !options.labels || (labels.length === presentSet.size && labels.every((l) => presentSet.has(l)));
  return { labels, names, perLabel, microIsAccuracy, micro, macro, weighted, accuracy: correct / yTrue.length };
}

/**
 * Formats a non-negative number with `digits` decimals the way Python's format() does:
 * correctly rounded, exact ties to even. JavaScript's toFixed breaks exact ties upwards, which
 * differs for values like 0.125 (Python "0.12", toFixed "0.13").
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  // A double is an exact decimal tie at `digits` places only if x * 2^(digits+1) is an odd integer.
  const twice = x * 2 ** (digits + 1);
  if (Number.isInteger(twice) && Math.abs(twice) % 2 === 1 && Math.abs(x) < 2 ** 40) {
    const scaled = x * 10 ** digits; // exact: an odd multiple of 1/2 within 2^53
    let n = Math.floor(scaled);
    if (n % 2 !== 0) n += 1;
    const neg = n < 0;
    const s = String(Math.abs(n)).padStart(digits + 1, '0');
    const body = digits > 0 ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
    return neg ? `-${body}` : body;
  }
  return x.toFixed(digits);
}

function rjust(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** The report as text, character for character like sklearn's classification_report. */
export function formatClassificationReport(report: ClassificationReport, digits = 2): string {
  const heading = 'weighted avg';
  const width = Math.max(...report.names.map((n) => n.length), heading.length, digits);
  const num = (v: number) => ' ' + rjust(formatFixed(v, digits), 9);
  const row = (name: string, s: LabelScores) =>
    `${rjust(name, width)} ${num(s.precision)}${num(s.recall)}${num(s.f1)} ${rjust(String(s.support), 9)}\n`;
  let out = `${rjust('', width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ' ' + rjust(h, 9)).join('')}\n\n`;
  report.names.forEach((name, i) => {
    out += row(name, report.perLabel[i]!);
  });
  out += '\n';
  if (report.microIsAccuracy) {
    out += `${rjust('accuracy', width)} ${' '.repeat(10)}${' '.repeat(10)}${num(report.micro.f1)} ${rjust(String(report.micro.support), 9)}\n`;
  } else {
    out += row('micro avg', report.micro);
  }
  out += row('macro avg', report.macro);
  out += row('weighted avg', report.weighted);
  return out;
}

/** The report as sklearn's output_dict: label name -> scores, "accuracy" (a number) or "micro avg", "macro avg", "weighted avg". */
export function reportToDict(report: ClassificationReport): Record<string, number | Record<'precision' | 'recall' | 'f1-score' | 'support', number>> {
  const entry = (s: LabelScores) => ({ precision: s.precision, recall: s.recall, 'f1-score': s.f1, support: s.support });
  const out: Record<string, number | ReturnType<typeof entry>> = {};
  report.names.forEach((n, i) => {
    out[n] = entry(report.perLabel[i]!);
  });
  if (report.microIsAccuracy) out['accuracy'] = report.micro.precision;
  else out['micro avg'] = entry(report.micro);
  out['macro avg'] = entry(report.macro);
  out['weighted avg'] = entry(report.weighted);
  return out;
}

/**
 * Macro-averaged F1 over all `numLabels` labels (absent labels count as 0), the figure used to
 * pick the best checkpoint: unlike accuracy it does not let the large classes hide the small ones.
 */
export function macroF1(yTrue: Labels, yPred: Labels, numLabels: number): number {
  const names = Array.from({ length: numLabels }, (_, i) => String(i));
  return classificationReport(yTrue, yPred, names, { labels: names.map((_, i) => i) }).macro.f1;
}

export interface GroupAccuracy {
  group: string;
  correct: number;
  total: number;
  accuracy: number;
}

/**
 * Accuracy per group of samples, e.g. per MRI sequence (T1, T1C+, T2). Groups appear in
 * `order` first (when given, even if empty: accuracy 0 with total 0), then any others sorted.
 */
export function accuracyByGroup(yTrue: Labels, yPred: Labels, groups: readonly string[], order: readonly string[] = []): GroupAccuracy[] {
  checkPair(yTrue, yPred);
  if (groups.length !== yTrue.length) throw new RangeError(`metrics: ${groups.length} groups for ${yTrue.length} samples`);
  const counts = new Map<string, { correct: number; total: number }>();
  for (const g of order) counts.set(g, { correct: 0, total: 0 });
  const extra = [...new Set(groups)].filter((g) => !counts.has(g)).sort();
  for (const g of extra) counts.set(g, { correct: 0, total: 0 });
  for (let i = 0; i < groups.length; i++) {
    const c = counts.get(groups[i]!)!;
    c.total++;
    if (yTrue[i] === yPred[i]) c.correct++;
  }
  return [...counts].map(([group, c]) => ({ group, ...c, accuracy: c.total ? c.correct / c.total : 0 }));
}

/** The Normal label(s) as a set: one in the 15-label scheme, two ("_NORMAL T1", "_NORMAL T2") in the 44-folder one. */
export function normalSet(normal: number | readonly number[]): Set<number> {
  return new Set(typeof normal === 'number' ? [normal] : normal);
}

/** True when a tumour image (true label not Normal) was predicted as a Normal label. */
export function isTumourPredictedNormal(trueLabel: number, predictedLabel: number, normal: ReadonlySet<number>): boolean {
  return !normal.has(trueLabel) && normal.has(predictedLabel);
}

/** Indices of samples whose true label is a tumour but were predicted Normal. */
export function tumourPredictedNormal(yTrue: Labels, yPred: Labels, normal: number | readonly number[]): number[] {
  checkPair(yTrue, yPred);
  const set = normalSet(normal);
  const out: number[] = [];
  for (let i = 0; i < yTrue.length; i++) if (isTumourPredictedNormal(yTrue[i]!, yPred[i]!, set)) out.push(i);
  return out;
}
