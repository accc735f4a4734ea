// `eval`: any checkpoint on any dataset (all of it, or a split manifest's validation/test list),
// giving the classification report and the data for report.html.
import type { Gpu } from '../gpu/runtime.js';
import type { Dataset, DatasetItem } from '../data/scan.js';
import type { SplitManifest } from '../data/split.js';
import type { ReportData } from '../report/html.js';
import { modelFromCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { buildReportData, classificationReportOf, logitsFor, metricsFromLogits, normalLabelsOf, type EvalMetrics } from './evaluate.js';
import type { ImageSource, RunStore } from './io.js';
import { splitFromManifest } from './split.js';

export interface EvaluateOptions {
  checkpoint: { name: string; bytes: Uint8Array };
  dataset: Dataset;
  source: ImageSource;
  /** Evaluate the manifest's test (validation) list instead of every image. */
  split?: SplitManifest;
  batch?: number;
  adapter: string;
  /** Where thumbnails come from (optional). */
  store?: RunStore;
  onProgress?: (done: number, total: number) => void;
  onError?: (path: string, reason: string) => void;
}

export interface EvaluationResult {
  meta: CheckpointMeta;
  metrics: EvalMetrics;
  classificationReport: string;
  report: ReportData;
  items: DatasetItem[];
  failed: { path: string; reason: string }[];
  missingFromSplit: string[];
}

export async function evaluateCheckpoint(gpu: Gpu, o: EvaluateOptions): Promise<EvaluationResult> {
  const { model, meta } = await modelFromCheckpoint(gpu, o.checkpoint.bytes, o.checkpoint.name);
  try {
    const labels = o.dataset.labels;
    if (labels.join('\n') !== meta.labels.join('\n')) {
      throw new Error(`${o.checkpoint.name} was trained on ${meta.labels.length} labels (${meta.labelScheme}) but the data has ${labels.length} (${o.dataset.labelMode}); scan the data with --labels ${meta.labelScheme}`);
    }
    let items = o.dataset.items;
    let missing: string[] = [];
    let on = 'all images';
    if (o.split) {
      const r = splitFromManifest(o.dataset, o.split);
      items = r.split.test;
      missing = r.missing;
      on = 'split test/validation list';
    }
    if (items.length === 0) throw new Error('nothing to evaluate: no images (or the split lists none that exist)');
    const logits = await logitsFor(gpu, model, items, o.source, { size: meta.inputSize, batch: o.batch ?? 16, crop: meta.preprocessing.autocrop, onBatch: o.onProgress, onError: o.onError });
    const metrics = metricsFromLogits(logits);
    if (metrics.images === 0) throw new Error('no image could be read');
    const { text } = classificationReportOf(logits, metrics, labels);
    const report = await buildReportData(logits, metrics, {
      title: `Evaluation of ${o.checkpoint.name}`,
      adapter: o.adapter,
      source: o.source,
      store: o.store,
      labels,
      normalLabels: meta.normalLabels.length ? meta.normalLabels : normalLabelsOf(labels),
      splitSizes: { evaluated: metrics.images },
      evaluatedOn: on,
      weights: o.checkpoint.name,
      config: { checkpoint: o.checkpoint.name, inputSize: meta.inputSize, width: meta.width, head: meta.head, autocrop: meta.preprocessing.autocrop.mode, trainedEpochs: meta.epoch },
      history: [],
    });
    return { meta, metrics, classificationReport: text, report, items: logits.items, failed: logits.failed, missingFromSplit: missing };
  } finally {
    model.destroy();
  }
}
