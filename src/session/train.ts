// TrainingRun: one training run of ResNet18 on a dataset, shared by the CLI and the web page.
// Batches: images (N, 3, S, S) f32 normalised; labels (N) i32.
//
// Each step records forward, backward and the optimiser update, submits, and reads the loss and the
// batch's correct count back together (one readback per step: it is what detects a NaN, one step
// late, and what the progress bar shows); the next step is recorded and submitted before that
// readback is awaited, so the device is never idle while the CPU records. Training accuracy is
// that count summed over the epoch: the train-mode forward (batch statistics in BatchNorm) on
// the augmented batches, before each step's update, as PyTorch training loops usually report it;
// validation accuracy is the eval-mode figure.
// After every epoch: validation, model.safetensors (last), best.safetensors (best validation
// macro-F1), optimizer.safetensors and state.json (what --resume needs), one metrics.jsonl line.
// stop() ends the run after the steps already submitted, saving a resumable state mid-epoch.
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, type PendingArray } from '../gpu/tensor.js';
import { DEFAULT_AUGMENT } from '../data/augment.js';
import { DataLoader, ResizedCache } from '../data/loader.js';
import type { Dataset, DatasetItem, ScanReport } from '../data/scan.js';
import { splitManifest, type Split, type SplitManifest } from '../data/split.js';
import { AdamW, Adadelta, Sgd, type Optimizer } from '../nn/optim.js';
import { ResNet18 } from '../nn/resnet.js';
import { trainStepWithStats, type LossOptions } from '../nn/train.js';
import { loadWeights, type LoadedWeights } from '../nn/weights/load.js';
import type { EpochRecord } from '../report/html.js';
import { autocropOptions, encodeCheckpoint, encodeOptimizerState, preprocessingMeta, restoreOptimizerState, type CheckpointMeta, CHECKPOINT_FORMAT } from './checkpoint.js';
import { learningRate, type TrainConfig } from './config.js';
import { buildReportData, logitsFor, metricsFromLogits, normalLabelsOf, classificationReportOf, type EvalMetrics, type ItemLogits } from './evaluate.js';
import { RUN_FILES, type ImageSource, type RunStore } from './io.js';
import { balancedClassWeights, tumourNormalCostMatrix } from './loss.js';
import { makeSplit, splitFromManifest } from './split.js';

export interface TrainingData {
  dataset: Dataset;
  /** The scanner's report (skipped files, per-label counts), shown in the summary. */
  scan?: ScanReport;
  /** Use this split instead of making one (resume does this by itself). */
  split?: SplitManifest;
}

export interface TrainingIO {
  source: ImageSource;
  store: RunStore;
}

export interface TrainingOptions {
  config: TrainConfig;
  /** Initial weights (e.g. torchvision's ImageNet ResNet18), loaded non-strictly. */
  weights?: LoadedWeights & { name: string };
  /** Continue the run saved in io.store (config, split, weights, optimiser state from there). */
  resume?: boolean;
  /** Adapter description for the report. */
  adapter?: string;
  /** Seed of the weight initialisation; default config.seed. */
  initSeed?: number;
}

export interface DataSummary {
  labels: string[];
  /** Images per label over the whole dataset. */
  counts: Record<string, number>;
  train: number;
  val: number;
  skipped: number;
  unknownFolders: string[];
  missingFromSplit: string[];
}

export type TrainEvent =
  | { type: 'start'; config: TrainConfig; data: DataSummary; stepsPerEpoch: number; resumedAt: { epoch: number; step: number } | null; weights: { name: string; loaded: number; skipped: string[] } | null; parameters: number; trainable: number }
  | { type: 'step'; epoch: number; epochs: number; step: number; steps: number; globalStep: number; loss: number; images: number; /** Images of this batch classified correctly (train mode). */ correct: number }
  | { type: 'validating'; epoch: number; done: number; total: number }
  | ({ type: 'epoch'; seconds: number; imagesPerSecond: number } & EpochSummary)
  | { type: 'decode-error'; path: string; reason: string }
  | { type: 'warning'; text: string }
  | { type: 'saved'; file: string }
  | { type: 'done'; reason: 'finished' | 'stopped' | 'max-steps' | 'diverged'; message: string; epochsDone: number; globalStep: number; best: { epoch: number; macroF1: number } | null; classificationReport: string | null; failures: { path: string; reason: string }[] };

export interface EpochSummary {
  epoch: number;
  epochs: number;
  trainLoss: number;
  /** Fraction of the epoch's training images classified correctly by the train-mode forward. */
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valMacroF1?: number;
  best?: boolean;
}

export interface TrainResult {
  reason: 'finished' | 'stopped' | 'max-steps' | 'diverged';
  epochsDone: number;
  globalStep: number;
  history: EpochRecord[];
  best: { epoch: number; macroF1: number } | null;
  /** Validation metrics of the last evaluated epoch (absent without a validation set). */
  lastVal?: { accuracy: number; macroF1: number; loss: number };
  /** Validation logits of the last evaluated epoch, (N, K), with the items they belong to. */
  lastValLogits?: ItemLogits;
  message: string;
}

/** state.json: where the run is. */
export interface RunState {
  format: 'brainmri-run-state';
  /** Epoch in progress (1-based) and batches of it already trained; stepInEpoch 0 = at its start. */
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  /** Sum of per-image losses and images so far in the epoch in progress. */
  lossSum: number;
  lossImages: number;
  /** Correctly classified training images so far in the epoch in progress (null: unknown, e.g. resumed from a state written before it was counted). */
  correctSum?: number | null;
  best: { epoch: number; macroF1: number } | null;
  history: EpochRecord[];
  elapsedSeconds: number;
}

const text = new TextDecoder();

/** GPU memory for the run's resized crops: 256 MiB holds ~22,000 images at 32 px, ~450 at 224 px. */
const RESIZED_CACHE_BYTES = 256 * 1024 * 1024;

/** A training step submitted but not yet booked: its loss and correct count on their way back. */
interface InFlightStep {
  stats: PendingArray;
  /** The batch's index in its epoch. */
  index: number;
  images: number;
}

export class TrainingRun {
  readonly config: TrainConfig;
  private stopRequested = false;
  private model: ResNet18 | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly data: TrainingData,
    readonly options: TrainingOptions,
    readonly io: TrainingIO,
  ) {
    this.config = { ...options.config };
  }

  /** Ends the run after the step in progress; the state is saved so the run can be resumed. */
  stop(): void {
    this.stopRequested = true;
  }

  async run(onEvent: (e: TrainEvent) => void = () => {}): Promise<TrainResult> {
    const { gpu, io } = this;
    const store = io.store;
    const t0 = performance.now();
    let c = this.config;
    const dataset = this.data.dataset;

    // Resume: the saved config wins, except the limits the user may extend and the learning rate
    // (the caller passes the saved config with the user's overrides applied).
    let state: RunState | null = null;
    let splitSource: SplitManifest | undefined = this.data.split;
    if (this.options.resume) {
      const cfgBytes = await store.read(RUN_FILES.config);
      const stBytes = await store.read(RUN_FILES.state);
      if (!cfgBytes || !stBytes) throw new Error(`${store.location}: nothing to resume (config.json or state.json missing)`);
      const saved = (JSON.parse(text.decode(cfgBytes)) as { config: TrainConfig }).config;
      // A lower --lr after a divergence is the usual reason to resume with a different rate.
      c = { ...saved, epochs: c.epochs, maxSteps: c.maxSteps, lr: c.lr };
      state = JSON.parse(text.decode(stBytes)) as RunState;
      const splitBytes = await store.read(RUN_FILES.split);
      if (splitBytes) splitSource = JSON.parse(text.decode(splitBytes)) as SplitManifest;
    }
    (this as { config: TrainConfig }).config = c;

    if (c.labels !== dataset.labelMode && dataset.labelMode !== 'folders') {
      throw new Error(`the dataset was scanned with ${dataset.labelMode} labels but the run asks for ${c.labels}`);
    }
    let split: Split;
    let missing: string[] = [];
    if (splitSource) ({ split, missing } = splitFromManifest(dataset, splitSource));
    else split = makeSplit(dataset, c.valSize, c.stratify, c.seed);
    if (split.train.length === 0) throw new Error('no training images (is the data folder empty, or every file in the validation set?)');

    const labels = [...dataset.labels];
    const K = labels.length;
    const normalLabels = normalLabelsOf(labels);
    const counts: Record<string, number> = {};
    for (const l of labels) counts[l] = 0;
    for (const it of dataset.items) counts[labels[it.label]!]!++;
    const summary: DataSummary = {
      labels,
      counts,
      train: split.train.length,
      val: split.test.length,
      skipped: this.data.scan?.skipped.length ?? 0,
      unknownFolders: this.data.scan?.unknownFolders ?? [],
      missingFromSplit: missing,
    };

    // Model, weights, optimiser.
    const model = new ResNet18(gpu, { numClasses: K, width: c.width, head: c.head, seed: this.options.initSeed ?? c.seed });
    this.model = model;
    let weightsInfo: { name: string; loaded: number; skipped: string[] } | null = null;
    let opt: Optimizer | null = null;
    let resized: ResizedCache | null = null;
    const owned: Tensor[] = [];
    const failures = new Map<string, string>();
    try {
      if (state) {
        const bytes = await store.read(RUN_FILES.model);
        if (!bytes) throw new Error(`${store.location}: model.safetensors missing; cannot resume`);
        model.loadStateDict((await loadWeights(bytes)).tensors);
      } else if (this.options.weights) {
        const report = model.loadStateDict(this.options.weights.tensors, { strict: false });
        weightsInfo = { name: this.options.weights.name, loaded: report.matched.size, skipped: [...report.missing, ...report.unexpected, ...report.misShaped.map((m) => m.key)] };
        if (report.matched.size === 0) throw new Error(`${this.options.weights.name}: no tensor matches ResNet18 (width ${c.width}); is it a ResNet18 state_dict?`);
      }
      if (c.freezeBackbone) model.setRequiresGrad((n) => !(n.startsWith('fc.') || n.startsWith('head.')), false);
      model.train();
      const lr = learningRate(c);
      opt = c.optimizer === 'sgd' ? new Sgd(model.arena, { lr, momentum: 0.9 }) : c.optimizer === 'adamw' ? new AdamW(model.arena, { lr }) : new Adadelta(model.arena, { lr });
      if (state) {
        const ob = await store.read(RUN_FILES.optimizer);
        if (!ob) throw new Error(`${store.location}: optimizer.safetensors missing; cannot resume`);
        await restoreOptimizerState(opt, c.optimizer, ob);
      }

      const lossOpts: LossOptions = {};
      if (c.classWeights) {
        const w = Tensor.fromArray(gpu, balancedClassWeights(split.train.map((it) => it.label), K), [K]);
        owned.push(w);
        lossOpts.classWeights = w;
      }
      if (c.tumorNormalPenalty > 0) {
        if (normalLabels.length === 0) throw new Error('--tumor-normal-penalty needs a Normal label (15- or 44-label scheme)');
        const m = Tensor.fromArray(gpu, tumourNormalCostMatrix(K, normalLabels, c.tumorNormalPenalty), [K, K]);
        owned.push(m);
        lossOpts.costMatrix = m;
      }

      const crop = autocropOptions(c.autocrop);
      const onError = (path: string, reason: string) => {
        if (failures.has(path)) return;
        failures.set(path, reason);
        onEvent({ type: 'decode-error', path, reason });
      };
      // Resized crops of the training and validation images stay on the GPU for the run (within
      // a budget): from the second epoch on, files are not read, decoded, uploaded or resized.
      resized = new ResizedCache(gpu, c.res, RESIZED_CACHE_BYTES);
      const loader = new DataLoader(gpu, split.train, {
        resized,
        read: (p) => io.source.read(p),
        decoder: io.source.decoder,
        cache: io.source.cache ?? null,
        size: c.res,
        batchSize: c.batch,
        shuffle: c.shuffle,
        seed: c.seed,
        crop,
        augment: c.augment ? DEFAULT_AUGMENT : null,
        onError,
      });
      const steps = loader.batchesPerEpoch;
      const layer4Cells = layer4Size(c.res) ** 2;
      let warnedLone = false;

      if (!state) {
        await store.write(RUN_FILES.config, JSON.stringify({ config: c, createdAt: new Date().toISOString(), dataset: io.source.description, labels, adapter: this.options.adapter ?? '', weights: this.options.weights?.name ?? null }, null, 2) + '\n');
        await store.write(RUN_FILES.split, JSON.stringify(splitManifest(split), null, 1) + '\n');
      }
      const st: RunState = state ?? { format: 'brainmri-run-state', epoch: 1, stepInEpoch: 0, globalStep: 0, lossSum: 0, lossImages: 0, correctSum: 0, best: null, history: [], elapsedSeconds: 0 };
      // A state file without the count, resumed mid-epoch: that epoch's training accuracy is unknown.
      if (typeof st.correctSum !== 'number') st.correctSum = st.lossImages > 0 ? null : 0;
      const elapsedBefore = st.elapsedSeconds;
      onEvent({
        type: 'start',
        config: c,
        data: summary,
        stepsPerEpoch: steps,
        resumedAt: state ? { epoch: st.epoch, step: st.stepInEpoch } : null,
        weights: weightsInfo,
        parameters: model.entries.filter((e) => e.kind === 'param').reduce((s, e) => s + model.arena.get(e.name).size, 0),
        trainable: model.arena.trainableCount,
      });

      const baseMeta = (epoch: number, step: number): CheckpointMeta => ({
        format: CHECKPOINT_FORMAT,
        version: 1,
        arch: 'resnet18',
        width: c.width,
        head: c.head,
        numClasses: K,
        labels,
        labelScheme: dataset.labelMode === 'folders' ? 'folders' : c.labels,
        normalLabels,
        inputSize: c.res,
        channels: c.stack ? 'stack' : 'rgb',
        preprocessing: preprocessingMeta(c.autocrop),
        epoch,
        step,
        createdAt: new Date().toISOString(),
      });
      const save = async (epochsDone: number, extra: Partial<CheckpointMeta> = {}): Promise<Uint8Array> => {
        const sd = await model.stateDict();
        const bytes = encodeCheckpoint(sd, { ...baseMeta(epochsDone, st.globalStep), ...extra });
        await store.write(RUN_FILES.model, bytes);
        await store.write(RUN_FILES.optimizer, await encodeOptimizerState(gpu, opt!, c.optimizer, { globalStep: st.globalStep }));
        st.elapsedSeconds = elapsedBefore + (performance.now() - t0) / 1000;
        await store.write(RUN_FILES.state, JSON.stringify(st, null, 1) + '\n');
        onEvent({ type: 'saved', file: RUN_FILES.model });
        return bytes;
      };

      let reason: TrainResult['reason'] = 'finished';
      let message = '';
      let lastEval: { logits: ItemLogits; metrics: EvalMetrics } | null = null;
      let bestEval: { logits: ItemLogits; metrics: EvalMetrics } | null = null;
      // Whether the step limit is reached, counting `pending` submitted steps not yet booked.
      const limitReached = (pending = 0) => c.maxSteps !== null && st.globalStep + pending >= c.maxSteps;

      outer: while (st.epoch <= c.epochs) {
        if (limitReached()) {
          reason = 'max-steps';
          break;
        }
        const epoch = st.epoch;
        const tEpoch = performance.now();
        let epochImages = 0;
        const skip = st.stepInEpoch;
        // One step stays in flight: step k+1 is recorded and submitted before step k's loss and
        // count are read back (each step's copy of them is part of its own work), so the device
        // does not wait for the CPU to record between steps. Every submitted step is booked,
        // in order, before anything reads the state (a stop, the step limit, the epoch end).
        let inFlight: InFlightStep | null = null;
        // Books a submitted step; false when its loss is not finite (reason and message set).
        const book = async (f: InFlightStep): Promise<boolean> => {
          const read = await f.stats.result();
          const loss = read[0]!;
          const correct = read[1]!;
          if (!Number.isFinite(loss)) {
            reason = 'diverged';
            message = `training diverged: the loss became ${loss} at epoch ${epoch}, step ${f.index + 1} (global step ${st.globalStep + 1}). The weights saved after the last good epoch are kept in ${store.location}; try a lower --lr${c.optimizer === 'adadelta' ? '' : ' or --optimizer adadelta'}.`;
            return false;
          }
          st.globalStep++;
          st.stepInEpoch = f.index + 1;
          st.lossSum += loss * f.images;
          st.lossImages += f.images;
          if (typeof st.correctSum === 'number') st.correctSum += correct;
          epochImages += f.images;
          onEvent({ type: 'step', epoch, epochs: c.epochs, step: f.index + 1, steps, globalStep: st.globalStep, loss, images: f.images, correct });
          return true;
        };
        // Books the step in flight, if any (false: it diverged).
        const drain = async (): Promise<boolean> => {
          const f = inFlight;
          inFlight = null;
          return f ? book(f) : true;
        };
        for await (const batch of loader.epoch(epoch)) {
          if (batch.index < skip) {
            batch.images.release(); // replayed only to keep the data order; trained before the stop
            continue;
          }
          const n = batch.items.length;
          if (n * layer4Cells < 2) {
            // BatchNorm in train mode needs two values per channel (PyTorch raises here too).
            batch.images.release();
            if (!warnedLone) onEvent({ type: 'warning', text: `the last batch of each epoch holds 1 image and layer4 is 1x1 at ${c.res} px: it is skipped (BatchNorm needs 2 values per channel); choose --batch so the training set does not leave 1 image over` });
            warnedLone = true;
            continue;
          }
          const labelsT = Tensor.fromArray(gpu, batch.labels, [n], 'i32');
          const statsT = trainStepWithStats(model, opt, batch.images, labelsT, lossOpts);
          const stats = statsT.readAfterStep();
          // Released at once: the copy above and this step's kernels come before any later use.
          statsT.release();
          labelsT.release();
          batch.images.release();
          gpu.submit();
          const previous: InFlightStep | null = inFlight;
          inFlight = { stats, index: batch.index, images: n };
          if (previous && !(await book(previous))) {
            await inFlight.stats.result(); // let the step behind it land before the run ends
            inFlight = null;
            break outer;
          }
          // The step in flight counts toward the limit: it will be booked before the run stops.
          if (this.stopRequested || limitReached(1)) {
            if (!(await drain())) break outer;
            reason = this.stopRequested ? 'stopped' : 'max-steps';
            if (st.stepInEpoch >= steps) break; // the epoch is complete: finish it normally below
            await save(epoch - 1);
            // Crops still being read back for the cache must land before the caller destroys the device.
            await loader.flush();
            message = `stopped at epoch ${epoch}, step ${st.stepInEpoch}/${steps} (global step ${st.globalStep})`;
            break outer;
          }
        }
        if (!(await drain())) break outer;
        await loader.flush();

        // Epoch end: validate, save, record.
        const trainLoss = st.lossImages > 0 ? st.lossSum / st.lossImages : NaN;
        const trainAccuracy = st.lossImages > 0 && typeof st.correctSum === 'number' ? st.correctSum / st.lossImages : undefined;
        const rec: EpochRecord & { best?: boolean } = { epoch, trainLoss, trainAccuracy };
        let best = false;
        if (split.test.length > 0) {
          const logits = await logitsFor(gpu, model, split.test, io.source, {
            size: c.res,
            batch: c.batch,
            crop,
            onError,
            resized,
            onBatch: (done, total) => onEvent({ type: 'validating', epoch, done, total }),
          });
          model.train();
          const metrics = metricsFromLogits(logits);
          lastEval = { logits, metrics };
          rec.valLoss = metrics.loss;
          rec.valAccuracy = metrics.accuracy;
          rec.valMacroF1 = metrics.macroF1;
          if (st.best === null || metrics.macroF1 > st.best.macroF1) {
            best = true;
            st.best = { epoch, macroF1: metrics.macroF1 };
            bestEval = lastEval;
          }
        } else {
          best = true; // without validation, the latest is the best we know
          st.best = { epoch, macroF1: NaN };
        }
        st.history = [...st.history.filter((h) => h.epoch !== epoch), { epoch, trainLoss, trainAccuracy, valLoss: rec.valLoss, valAccuracy: rec.valAccuracy, valMacroF1: rec.valMacroF1 }];
        st.epoch = epoch + 1;
        st.stepInEpoch = 0;
        st.lossSum = 0;
        st.lossImages = 0;
        st.correctSum = 0;
        const extra = { valMacroF1: rec.valMacroF1, valAccuracy: rec.valAccuracy };
        const bytes = await save(epoch, extra);
        if (best) {
          await store.write(RUN_FILES.best, bytes);
          onEvent({ type: 'saved', file: RUN_FILES.best });
        }
        const seconds = (performance.now() - tEpoch) / 1000;
        const line = { event: 'epoch', time: new Date().toISOString(), epoch, trainLoss, trainAccuracy, valLoss: rec.valLoss, valAccuracy: rec.valAccuracy, valMacroF1: rec.valMacroF1, seconds, imagesPerSecond: epochImages / Math.max(seconds, 1e-9), best, globalStep: st.globalStep };
        await store.append(RUN_FILES.metrics, JSON.stringify(line));
        onEvent({ type: 'epoch', epoch, epochs: c.epochs, trainLoss, trainAccuracy, valLoss: rec.valLoss, valAccuracy: rec.valAccuracy, valMacroF1: rec.valMacroF1, best, seconds, imagesPerSecond: line.imagesPerSecond });
        if (reason === 'stopped' || reason === 'max-steps') {
          message = `stopped after epoch ${epoch} (global step ${st.globalStep})`;
          break;
        }
      }

      // The report: the best epoch's validation predictions (those of best.safetensors).
      let reportText: string | null = null;
      const chosen = bestEval ?? lastEval;
      if (chosen && chosen.metrics.images > 0) {
        reportText = classificationReportOf(chosen.logits, chosen.metrics, labels).text;
        if (store.writeReport) {
          const data = await buildReportData(chosen.logits, chosen.metrics, {
            title: 'Training run',
            adapter: this.options.adapter ?? `${gpu.adapter.label}`,
            source: io.source,
            store,
            labels,
            normalLabels,
            splitSizes: { train: split.train.length, val: split.test.length },
            evaluatedOn: `validation (epoch ${st.best?.epoch ?? '?'}, best.safetensors)`,
            weights: RUN_FILES.best,
            runDir: store.location,
            bestEpoch: st.best?.epoch,
            durationSeconds: elapsedBefore + (performance.now() - t0) / 1000,
            config: c as unknown as Record<string, unknown>,
            history: st.history,
          });
          await store.writeReport(data);
        }
      }
      if (reason === 'finished') message = `finished ${c.epochs} epoch${c.epochs === 1 ? '' : 's'} (${st.globalStep} steps)`;
      const epochsDone = st.epoch - 1;
      const bestOut = st.best && Number.isFinite(st.best.macroF1) ? st.best : null;
      onEvent({ type: 'done', reason, message, epochsDone, globalStep: st.globalStep, best: bestOut, classificationReport: reportText, failures: [...failures].map(([path, r]) => ({ path, reason: r })) });
      const lm = lastEval?.metrics;
      return { reason, epochsDone, globalStep: st.globalStep, history: st.history, best: bestOut, lastVal: lm ? { accuracy: lm.accuracy, macroF1: lm.macroF1, loss: lm.loss } : undefined, lastValLogits: lastEval?.logits, message };
    } finally {
      for (const t of owned) t.release();
      resized?.dispose();
      opt?.destroy();
      model.destroy();
      this.model = null;
    }
  }
}

/** Side of ResNet18's layer4 output for an S x S input (conv1 and maxpool, then 3 stride-2 stages). */
export function layer4Size(S: number): number {
  let s = Math.floor((S - 1) / 2) + 1; // conv1 7x7/2, padding 3
  for (let i = 0; i < 4; i++) s = Math.floor((s - 1) / 2) + 1; // maxpool 3x3/2 p1, layer2-4 3x3/2 p1
  return s;
}

export type { DatasetItem };
