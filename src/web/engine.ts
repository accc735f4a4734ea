// The page's engine: a thin adapter from the page's controls to the shared session library
// (src/session), the same code the CLI runs. Training is session's TrainingRun over an in-memory
// run folder (MemoryRunStore); evaluation and prediction load the run's checkpoint with
// modelFromCheckpoint and run session's logitsFor. Nothing here trains or scores by itself.
import { buildDataset, type Dataset } from '../data/scan.js';
import { splitManifest, type SplitManifest } from '../data/split.js';
import { ImageCache } from '../data/cache.js';
import type { ImageDecoder } from '../data/image.js';
import type { AdapterDescription } from '../gpu/adapter.js';
import type { Gpu } from '../gpu/runtime.js';
import type { ResNet18 } from '../nn/resnet.js';
import { loadWeights } from '../nn/weights/load.js';
import { autocropBox } from '../reference/autocrop.js';
import { modelFromCheckpoint, parseCheckpointMeta, type CheckpointMeta } from '../session/checkpoint.js';
import { defaultConfig, resolveConfig, type TrainConfig } from '../session/config.js';
import { evaluateCheckpoint } from '../session/evaluate-run.js';
import { predictImages } from '../session/predict.js';
import { MemoryRunStore, RUN_FILES, type ImageSource } from '../session/io.js';
import { makeSplit } from '../session/split.js';
import { TrainingRun, type TrainEvent } from '../session/train.js';
import { makeThumbnail } from './view.js';
import type { PageEpoch, PagePrediction, PageProgress, PageTrainOptions, ReportData, WebDatasetSource } from './engine-types.js';

export interface TrainHooks {
  log(line: string): void;
  onProgress(p: PageProgress): void;
  onEpoch(e: PageEpoch): void;
}

export type TrainOutcome = 'done' | 'stopped';

/** The form's options as the session's TrainConfig (its own validation applies). */
export function toTrainConfig(adapter: Pick<AdapterDescription, 'isSwiftShader'>, o: PageTrainOptions): TrainConfig {
  return resolveConfig(defaultConfig(adapter), {
    res: o.size,
    batch: o.batchSize,
    epochs: o.epochs,
    maxSteps: o.maxSteps > 0 ? o.maxSteps : null,
    lr: o.lr > 0 ? o.lr : null,
    optimizer: o.optimizer,
    valSize: o.test,
    augment: o.augment,
    autocrop: o.autocrop,
    // 'folders' datasets carry their own labels; the session ignores the scheme for them.
    labels: o.labelMode === '44' ? '44' : '15',
    width: o.width,
    head: o.head,
    seed: o.seed,
  });
}

export class PageEngine {
  training = false;
  /** A stopped run that Continue resumes (its run folder is kept in memory). */
  canContinue = false;
  /** The run folder of the last run; its model.safetensors is the current model. */
  store: MemoryRunStore | null = null;
  /** Checkpoint bytes of the current model (trained here or loaded). */
  private checkpointBytes: Uint8Array | null = null;
  private loaded: { model: ResNet18; meta: CheckpointMeta } | null = null;
  private run: TrainingRun | null = null;
  private dataset: Dataset | null = null;
  private source: ImageSource | null = null;
  /** The train/test split evaluation uses (the run's split.json, or a fresh one). */
  private split: SplitManifest | null = null;
  private checkpointName = 'model.safetensors';
  private history: PageEpoch[] = [];
  private readonly cache = new ImageCache(256 * 1024 * 1024);

  constructor(
    readonly gpu: Gpu,
    readonly adapter: AdapterDescription,
    readonly decoder: ImageDecoder,
  ) {}

  get hasModel(): boolean {
    return this.checkpointBytes !== null;
  }
  get hasTestSet(): boolean {
    return (this.split?.test.length ?? 0) > 0 && !!this.dataset;
  }
  get meta(): CheckpointMeta | null {
    return this.loaded?.meta ?? null;
  }

  async train(src: WebDatasetSource, o: PageTrainOptions, hooks: TrainHooks): Promise<TrainOutcome> {
    const config = toTrainConfig(this.adapter, o);
    const { dataset, report } = buildDataset(src.listing, o.labelMode, src.rootFiles);
    if (dataset.items.length === 0) throw new Error('the dataset has no images');
    this.dataset = dataset;
    this.source = { read: (p) => src.read(p), decoder: this.decoder, cache: this.cache, description: src.name };
    this.store = new MemoryRunStore(`browser run (${src.name})`);
    this.history = [];
    const weights = o.pretrained ? { ...(await loadWeights(o.pretrained.bytes)), name: o.pretrained.name } : undefined;
    this.run = new TrainingRun(this.gpu, { dataset, scan: report }, { config, weights, adapter: this.adapter.label }, { source: this.source, store: this.store });
    return this.drive(hooks);
  }

  async continueTraining(hooks: TrainHooks, more: { epochs?: number; maxSteps?: number } = {}): Promise<TrainOutcome> {
    if (!this.run || !this.store || !this.dataset || !this.source) throw new Error('nothing to continue: train first');
    const base = this.run.config;
    // The cap that stopped the run is lifted: Continue goes on to the planned epochs.
    const config: TrainConfig = { ...base, epochs: more.epochs ?? base.epochs, maxSteps: more.maxSteps ?? null };
    this.run = new TrainingRun(this.gpu, { dataset: this.dataset }, { config, resume: true, adapter: this.adapter.label }, { source: this.source, store: this.store });
    return this.drive(hooks);
  }

  stop(): void {
    this.run?.stop();
  }

  private async drive(hooks: TrainHooks): Promise<TrainOutcome> {
    const run = this.run!;
    this.training = true;
    this.canContinue = false;
    let stepsPerEpoch = 1;
    let epochs = run.config.epochs;
    let startStep = 0;
    let t0 = performance.now();
    let images = 0;
    let reason: string = 'finished';
    const onEvent = (e: TrainEvent) => {
      switch (e.type) {
        case 'start': {
          stepsPerEpoch = e.stepsPerEpoch;
          epochs = e.config.epochs;
          startStep = e.resumedAt ? (e.resumedAt.epoch - 1) * e.stepsPerEpoch + e.resumedAt.step : 0;
          const d = e.data;
          hooks.log(`${d.train} training and ${d.val} test images, ${d.labels.length} labels; ${e.stepsPerEpoch} steps per epoch; ResNet18 width ${e.config.width}, ${(e.parameters / 1e6).toFixed(2)} M parameters; ${e.config.res} px, batch ${e.config.batch}, ${e.config.optimizer}`);
          if (e.resumedAt) hooks.log(`continuing at epoch ${e.resumedAt.epoch}, step ${e.resumedAt.step}`);
          if (e.weights) hooks.log(`pretrained weights ${e.weights.name}: ${e.weights.loaded} tensors loaded, ${e.weights.skipped.length} left at their initial values`);
          t0 = performance.now();
          break;
        }
        case 'step': {
          images += e.images;
          const seconds = (performance.now() - t0) / 1000;
          const done = (e.epoch - 1) * stepsPerEpoch + e.step;
          const total = epochs * stepsPerEpoch;
          const cap = run.config.maxSteps;
          const planned = cap !== null ? Math.min(total, cap) : total;
          const stepRate = (done - startStep) / Math.max(seconds, 1e-9);
          hooks.onProgress({
            epoch: e.epoch - 1,
            epochs,
            step: done,
            totalSteps: planned,
            stepsPerEpoch,
            loss: e.loss,
            // This batch's training accuracy (train-mode forward on the augmented batch, before its update).
            trainAccuracy: e.images > 0 ? e.correct / e.images : undefined,
            imagesPerSecond: images / Math.max(seconds, 1e-9),
            etaSeconds: stepRate > 0 ? (planned - done) / stepRate : undefined,
          });
          break;
        }
        case 'validating':
          if (e.done === e.total) hooks.log(`epoch ${e.epoch}: validated ${e.total} images`);
          break;
        case 'epoch': {
          const rec: PageEpoch = { epoch: e.epoch - 1, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, valLoss: e.valLoss, valAccuracy: e.valAccuracy };
          this.history.push(rec);
          hooks.onEpoch(rec);
          const val = e.valAccuracy === undefined ? '' : `, test loss ${e.valLoss?.toFixed(4)}, accuracy ${(e.valAccuracy * 100).toFixed(1)}%, macro F1 ${e.valMacroF1?.toFixed(3)}`;
          const trainAcc = e.trainAccuracy === undefined ? '' : `, train accuracy ${(e.trainAccuracy * 100).toFixed(1)}%`;
          hooks.log(`epoch ${e.epoch}/${e.epochs}: train loss ${e.trainLoss.toFixed(4)}${trainAcc}${val}, ${e.imagesPerSecond.toFixed(2)} img/s${e.best ? ' (best)' : ''}`);
          break;
        }
        case 'decode-error':
          hooks.log(`skipped ${e.path}: ${e.reason}`);
          break;
        case 'done':
          reason = e.reason;
          hooks.log(e.message);
          break;
        case 'saved':
          break;
      }
    };
    try {
      const result = await run.run(onEvent);
      reason = result.reason;
      const bytes = await this.store!.read(RUN_FILES.model);
      if (bytes) await this.useCheckpoint(bytes, 'model.safetensors');
      const manifest = await this.store!.read(RUN_FILES.split);
      if (manifest) this.split = JSON.parse(new TextDecoder().decode(manifest)) as SplitManifest;
      if (result.reason === 'diverged') throw new Error(result.message);
      this.canContinue = result.reason === 'stopped' || result.reason === 'max-steps';
      return this.canContinue ? 'stopped' : 'done';
    } finally {
      this.training = false;
    }
  }

  private async useCheckpoint(bytes: Uint8Array, name: string): Promise<CheckpointMeta> {
    const next = await modelFromCheckpoint(this.gpu, bytes, name);
    this.loaded?.model.destroy();
    this.loaded = next;
    this.checkpointBytes = bytes;
    this.checkpointName = name;
    return next.meta;
  }

  /**
   * Evaluates the current checkpoint on the test split with the session's evaluateCheckpoint
   * (what `brainmri eval` runs): the run's own split after training, a fresh seeded split of the
   * chosen dataset after loading a checkpoint.
   */
  async evaluate(onProgress: (done: number, total: number) => void): Promise<ReportData> {
    if (!this.checkpointBytes || !this.loaded) throw new Error('train a model or load a checkpoint first');
    if (!this.dataset || !this.source || !this.split) throw new Error('choose a dataset (or generate one) to evaluate on');
    const result = await evaluateCheckpoint(this.gpu, {
      checkpoint: { name: this.checkpointName, bytes: this.checkpointBytes },
      dataset: this.dataset,
      source: this.source,
      split: this.split,
      batch: this.run?.config.batch ?? 16,
      adapter: this.adapter.label,
      // A store only for its thumbnail maker: the gallery and report.html show the mistakes.
      store: Object.assign(new MemoryRunStore('browser'), { thumbnail: (b: Uint8Array) => makeThumbnail(b) }),
      onProgress,
    });
    return {
      ...result.report,
      title: 'Evaluation in the browser',
      run: { ...result.report.run, evaluatedOn: 'test split', splitSizes: { train: this.split.train.length, test: this.split.test.length } },
      history: this.history.map((h) => ({ epoch: h.epoch + 1, trainLoss: h.trainLoss, trainAccuracy: h.trainAccuracy, valLoss: h.valLoss, valAccuracy: h.valAccuracy })),
    };
  }

  /** Top labels and the Grad-CAM map of the top label for one image file (session's predictImages). */
  async predict(bytes: Uint8Array, name: string, k = 5): Promise<PagePrediction> {
    if (!this.loaded) throw new Error('train a model or load a checkpoint first');
    const { model, meta } = this.loaded;
    const errors: string[] = [];
    const [r] = await predictImages(this.gpu, model, meta, [{ name, bytes }], { topK: k, heatmap: true, decoder: this.decoder, onError: (_n, reason) => errors.push(reason) });
    if (!r) throw new Error(errors[0] ?? `${name}: could not be read`);
    // The decoded picture and its autocrop box, for display (the CPU reference of the GPU autocrop).
    const image = await this.decoder.decode(bytes, name);
    return {
      labels: meta.labels,
      probabilities: Float64Array.from(r.probabilities),
      logits: Float32Array.from(r.logits),
      image,
      box: autocropBox(image, meta.preprocessing.autocrop),
      cam: r.heatmap ? { height: r.heatmap.size, width: r.heatmap.size, values: r.heatmap.cam } : undefined,
    };
  }

  async checkpoint(): Promise<Uint8Array> {
    if (!this.checkpointBytes) throw new Error('no model yet');
    return this.checkpointBytes;
  }

  /**
   * Points evaluation at a dataset: scanned in the current checkpoint's label scheme, with a fresh
   * seeded stratified split whose test part is evaluated (as `brainmri eval` on another folder).
   */
  useDataset(source: WebDatasetSource, test: number, seed: number): void {
    const meta = this.loaded?.meta;
    if (!meta) return;
    const mode = meta.labelScheme === 'folders' ? 'folders' : meta.labelScheme;
    const { dataset } = buildDataset(source.listing, mode, source.rootFiles);
    this.dataset = dataset;
    this.source = { read: (p) => source.read(p), decoder: this.decoder, cache: this.cache, description: source.name };
    this.split = dataset.items.length > 1 ? splitManifest(makeSplit(dataset, test, true, seed)) : null;
  }

  /** Loads a checkpoint (the CLI's model.safetensors); evaluation then uses a split of the current dataset. */
  async loadCheckpoint(bytes: Uint8Array, name: string, dataset?: { source: WebDatasetSource; test: number; seed: number }): Promise<string> {
    const loaded = await loadWeights(bytes);
    parseCheckpointMeta(loaded.metadata, name); // a readable error before any GPU work
    const meta = await this.useCheckpoint(bytes, name);
    this.run = null;
    this.canContinue = false;
    this.history = [];
    this.split = null;
    if (dataset) this.useDataset(dataset.source, dataset.test, dataset.seed);
    return `Loaded ${name}: ResNet18 width ${meta.width}, ${meta.numClasses} labels (${meta.labelScheme}), ${meta.inputSize} px, autocrop ${meta.preprocessing.autocrop.mode}; trained ${meta.epoch} epoch(s), ${meta.step} steps${meta.valAccuracy !== undefined ? `, validation accuracy ${(meta.valAccuracy * 100).toFixed(1)}%` : ''}.`;
  }
}
