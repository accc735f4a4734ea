// Evaluation: logits for a list of dataset items (eval-mode BatchNorm, no augmentation, dataset
// order), the metrics derived from them, and the ReportData that report.html is drawn from.
// logits: (N, K) f32 row-major, one row per evaluated item (failed files left out).
import type { Gpu } from '../gpu/runtime.js';
import type { PendingArray } from '../gpu/tensor.js';
import { DataLoader, type ResizedCache } from '../data/loader.js';
import type { DatasetItem } from '../data/scan.js';
import type { AutocropOptions } from '../reference/autocrop.js';
import { evalForward } from '../nn/train.js';
import type { ResNet18 } from '../nn/resnet.js';
import { classificationReport, formatClassificationReport, macroF1, type ClassificationReport } from '../report/metrics.js';
import { predictFromLogits } from '../report/predictions.js';
import type { EpochRecord, ReportData, SamplePrediction } from '../report/html.js';
import type { ImageSource, RunStore } from './io.js';

export interface ItemLogits {
  items: DatasetItem[];
  logits: Float32Array;
  numClasses: number;
  failed: { path: string; reason: string }[];
}

export interface LogitsOptions {
  size: number;
  batch: number;
  crop: AutocropOptions;
  onBatch?: (done: number, total: number) => void;
  onError?: (path: string, reason: string) => void;
  /** Resized crops kept on the GPU across calls (a training run's validation each epoch). */
  resized?: ResizedCache | null;
}

/** Runs the model (switched to eval mode for the duration) over `items` in order. */
export async function logitsFor(gpu: Gpu, model: ResNet18, items: readonly DatasetItem[], source: ImageSource, o: LogitsOptions): Promise<ItemLogits> {
  const loader = new DataLoader(gpu, items, {
    read: (p) => source.read(p),
    decoder: source.decoder,
    cache: source.cache ?? null,
    size: o.size,
    batchSize: o.batch,
    shuffle: false,
    seed: 0,
    crop: o.crop,
    augment: null,
    onError: o.onError,
    resized: o.resized ?? null,
  });
  const K = model.numClasses;
  const chunks: Float32Array[] = [];
  const done: DatasetItem[] = [];
  const failed: { path: string; reason: string }[] = [];
  let n = 0;
  // One batch in flight: batch k+1 is submitted before batch k's logits are read back.
  type InFlight = { logits: PendingArray; items: DatasetItem[]; failed: { path: string; reason: string }[] };
  const take = async (f: InFlight): Promise<void> => {
    chunks.push(Float32Array.from(await f.logits.result()));
    done.push(...f.items);
    failed.push(...f.failed);
    n += f.items.length + f.failed.length;
    o.onBatch?.(n, items.length);
  };
  let inFlight: InFlight | null = null;
  for await (const batch of loader.epoch(0)) {
    const logitsT = evalForward(model, batch.images);
    const logits = logitsT.readAfterStep();
    logitsT.release();
    batch.images.release();
    gpu.submit();
    const previous: InFlight | null = inFlight;
    inFlight = { logits, items: batch.items, failed: batch.failed };
    if (previous) await take(previous);
  }
  if (inFlight) await take(inFlight);
  await loader.flush();
  const all = new Float32Array(done.length * K);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return { items: done, logits: all, numClasses: K, failed };
}

export interface EvalMetrics {
  images: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  predicted: Int32Array;
  /** Probability of the predicted label per image. */
  probability: Float64Array;
  probabilities: Float64Array;
}

/** Mean cross-entropy (float64), accuracy and macro-F1 of logits against the items' labels. */
export function metricsFromLogits(r: ItemLogits): EvalMetrics {
  const K = r.numClasses;
  const n = r.items.length;
  if (n === 0) return { images: 0, loss: NaN, accuracy: NaN, macroF1: NaN, predicted: new Int32Array(0), probability: new Float64Array(0), probabilities: new Float64Array(0) };
  const p = predictFromLogits(r.logits, K);
  let loss = 0;
  let correct = 0;
  const yTrue = r.items.map((it) => it.label);
  for (let i = 0; i < n; i++) {
    loss -= Math.log(Math.max(p.probabilities[i * K + yTrue[i]!]!, 1e-300));
    if (p.predicted[i] === yTrue[i]) correct++;
  }
  return { images: n, loss: loss / n, accuracy: correct / n, macroF1: macroF1(yTrue, Array.from(p.predicted), K), predicted: p.predicted, probability: p.probability, probabilities: p.probabilities };
}

export function classificationReportOf(r: ItemLogits, m: EvalMetrics, labels: readonly string[]): { report: ClassificationReport; text: string } {
  const report = classificationReport(r.items.map((it) => it.label), Array.from(m.predicted), labels);
  return { report, text: formatClassificationReport(report) };
}

export interface ReportInputs {
  title?: string;
  adapter: string;
  source: ImageSource;
  store?: RunStore;
  labels: readonly string[];
  normalLabels: readonly number[];
  splitSizes: Record<string, number>;
  evaluatedOn: string;
  weights?: string;
  runDir?: string;
  bestEpoch?: number;
  durationSeconds?: number;
  config: Record<string, unknown>;
  history: readonly EpochRecord[];
  /** Thumbnails are made for at most this many misclassified images. */
  maxGallery?: number;
}

/** The data report.html is drawn from (thumbnails of mistakes when the store can make them). */
export async function buildReportData(r: ItemLogits, m: EvalMetrics, o: ReportInputs): Promise<ReportData> {
  const K = r.numClasses;
  const maxGallery = o.maxGallery ?? 120;
  const normal = new Set(o.normalLabels);
  const predictions: SamplePrediction[] = r.items.map((it, i) => ({
    file: it.path,
    trueLabel: it.label,
    predictedLabel: m.predicted[i]!,
    probability: m.probability[i]!,
    trueProbability: m.probabilities[i * K + it.label]!,
    sequence: it.sequence ?? undefined,
  }));
  if (o.store?.thumbnail) {
    // Tumour-to-Normal misses first (the report lists them first), then the most confident errors.
    const wrong = predictions
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => p.predictedLabel !== p.trueLabel)
      .sort((a, b) => Number(isMiss(b.p, normal)) - Number(isMiss(a.p, normal)) || b.p.probability - a.p.probability)
      .slice(0, maxGallery);
    for (const { p } of wrong) {
      try {
        p.thumbnail = await o.store.thumbnail(await o.source.read(p.file));
      } catch {
        // A picture that cannot be made leaves the gallery entry without one; the row still shows.
      }
    }
  }
  return {
    title: o.title,
    createdAt: new Date().toISOString(),
    run: {
      adapter: o.adapter,
      dataset: o.source.description,
      splitSizes: o.splitSizes,
      evaluatedOn: o.evaluatedOn,
      weights: o.weights,
      runDir: o.runDir,
      bestEpoch: o.bestEpoch,
      durationSeconds: o.durationSeconds,
      config: o.config,
    },
    labelNames: o.labels,
    normalLabel: o.normalLabels.length === 1 ? o.normalLabels[0]! : o.normalLabels,
    predictions,
    history: o.history,
    maxGallery,
  };
}

function isMiss(p: SamplePrediction, normal: ReadonlySet<number>): boolean {
  return !normal.has(p.trueLabel) && normal.has(p.predictedLabel);
}

/** Label indices meaning "no tumour": Normal (15 labels) or the _NORMAL folders (44 labels). */
export function normalLabelsOf(labels: readonly string[]): number[] {
  const out: number[] = [];
  labels.forEach((l, i) => {
    if (l === 'Normal' || l.startsWith('_NORMAL')) out.push(i);
  });
  return out;
}
