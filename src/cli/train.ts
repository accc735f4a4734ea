// `brainmri train`: the CLI shell over TrainingRun (src/session/train.ts). Node parts only: the
// adapter, the data folder (generated synthetic data by default), the run folder on disk, the
// progress output and Ctrl-C.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNodeGpu } from '../gpu/node.js';
import type { Gpu } from '../gpu/runtime.js';
import { ImageCache } from '../data/cache.js';
import { fileReader, NodeImageDecoder, scanDataRoot } from '../data/node.js';
import { describeScan } from '../data/scan.js';
import { loadWeightsFile } from '../nn/weights/node.js';
import { writeEvaluation } from '../report/write-node.js';
import { makeThumbnail } from '../report/thumbnail-node.js';
import { defaultConfig, defaultSyntheticScale, learningRate, resolveConfig, type TrainConfig } from '../session/config.js';
import type { ImageSource, RunStore } from '../session/io.js';
import { parseStackManifest, stackDataset, stackSource } from '../session/stack.js';
import { TrainingRun, type TrainEvent } from '../session/train.js';
import { formatHelp, parseArgs, UsageError, type CommandSpec, type Parsed } from './args.js';
import { Progress, formatDuration } from './progress.js';
import { createRunFolder, installStopHandler, writeFileAtomic } from './runfolder.js';

export const DEFAULT_DATA_DIR = join('data', 'synthetic');

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Train ResNet18 on a folder-per-class MRI dataset (default: a generated synthetic one).',
  usage: 'brainmri train [--data DIR] [--out DIR] [options]     (npm run train -- [options])',
  options: [
    { name: 'data', type: 'string', meta: 'DIR', help: `dataset root: one folder per class ("Glioblastoma T1", "_NORMAL T2", ...); default ${DEFAULT_DATA_DIR}, generated if absent` },
    { name: 'out', type: 'string', meta: 'DIR', help: 'run folder (default runs/<UTC time>)' },
    { name: 'weights', type: 'string', meta: 'FILE', help: 'initial weights, .pth or .safetensors (e.g. torchvision resnet18-f37072fd.pth); loaded where names and shapes match' },
    { name: 'res', type: 'int', meta: 'N', help: 'input size in pixels (default by adapter: 224 on a GPU, 32 on SwiftShader)' },
    { name: 'batch', type: 'int', meta: 'N', help: 'batch size (default 32 on a GPU, 16 on SwiftShader)' },
    { name: 'epochs', type: 'int', meta: 'N', help: 'epochs (default 20 on a GPU, 16 on SwiftShader)' },
    { name: 'max-steps', type: 'int', meta: 'N', help: 'stop (resumably) after N optimiser steps in total' },
    { name: 'lr', type: 'number', meta: 'X', help: 'learning rate (default: adadelta 1.0, sgd 0.01, adamw 0.001)' },
    { name: 'optimizer', type: 'string', choices: ['adadelta', 'sgd', 'adamw'], help: 'optimiser (default adadelta, as the reference notebook; sgd uses momentum 0.9)' },
    { name: 'val-size', type: 'int', meta: 'N', help: 'validation images (0: no validation)' },
    { name: 'val-frac', type: 'number', meta: 'X', help: 'validation fraction in (0, 1) (default 0.2)' },
    { name: 'stratify', type: 'boolean', help: 'stratified split by label (default on; --no-stratify for a plain random split)' },
    { name: 'seed', type: 'int', meta: 'N', help: 'seed of the split, shuffling, augmentation and initialisation (default 1)' },
    { name: 'shuffle', type: 'boolean', help: 'shuffle each epoch (default on; --no-shuffle keeps dataset order)' },
    { name: 'augment', type: 'boolean', help: 'random flip, rotation, brightness, contrast (default on; --no-augment)' },
    { name: 'autocrop', type: 'string', choices: ['seed', 'bbox', 'off'], help: 'crop to the head: "seed" (centre profiles, the reference), "bbox", or off (default seed)' },
    { name: 'labels', type: 'string', choices: ['15', '44'], help: '15 = tumour type + Normal, 44 = folder = class (default 15)' },
    { name: 'class-weights', type: 'boolean', help: 'weight the loss by inverse label frequency' },
    { name: 'tumor-normal-penalty', type: 'number', meta: 'X', help: 'extra loss X * P(Normal) on tumour images: fewer tumours called Normal (default 0)' },
    { name: 'freeze-backbone', type: 'boolean', help: 'train only the classifier (fc, and head with --head append)' },
    { name: 'head', type: 'string', choices: ['replace', 'append'], help: 'replace: fc = Linear(512, labels); append: keep the 1000-way fc and add Linear(1000, labels), as the reference (default replace)' },
    { name: 'stack', type: 'string', meta: 'FILE', help: 'T1/T1C+/T2 as the 3 input channels: a CSV "label,t1,t1c,t2" (paths relative to --data; empty cell = missing sequence, black channel)' },
    { name: 'width', type: 'int', meta: 'N', help: 'ResNet18 width, channels of layer1 (default 64 on a GPU = torchvision; 16 on SwiftShader)' },
    { name: 'resume', type: 'string', meta: 'DIR', help: 'continue the run saved in DIR (its options and split; --epochs / --max-steps may extend it, --lr may change the rate)' },
    { name: 'synthetic-scale', type: 'number', meta: 'X', help: 'size of the generated dataset as a fraction of the real one (default 0.2 on SwiftShader, 0.5 on a GPU)' },
    { name: 'json', type: 'boolean', help: 'one JSON object per event on stdout (for scripts)' },
    { name: 'adapter', type: 'string', meta: 'NAME', help: 'auto, gpu, swiftshader, or part of an adapter name (also BRAINMRI_ADAPTER)' },
  ],
  epilog: [
    'Examples:',
    '  npm run train                                   synthetic data, defaults chosen for the adapter',
    '  npm run train -- --data ~/mri44 --weights resnet18-f37072fd.pth --head append',
    '  npm run train -- --no-shuffle --no-augment --autocrop off --val-size 0   (replayable step by step)',
    '  npm run train -- --resume runs/2026-11-26T21-40-05 --epochs 20',
    'Ctrl-C finishes the current step, saves, and prints how to resume.',
  ].join('\n'),
};

/** A run folder on disk: every write atomic (temp + fsync + rename). */
export class NodeRunStore implements RunStore {
  constructor(readonly location: string) {
    mkdirSync(location, { recursive: true });
  }
  async write(name: string, data: Uint8Array | string): Promise<void> {
    writeFileAtomic(join(this.location, name), data);
  }
  async append(name: string, line: string): Promise<void> {
    await appendFile(join(this.location, name), line.endsWith('\n') ? line : line + '\n');
  }
  async read(name: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(join(this.location, name)));
    } catch {
      return null;
    }
  }
  async writeReport(data: Parameters<NonNullable<RunStore['writeReport']>>[0]): Promise<void> {
    writeEvaluation(this.location, data);
  }
  async thumbnail(bytes: Uint8Array) {
    return makeThumbnail(bytes);
  }
}

export function nodeImageSource(dir: string, description = dir): ImageSource {
  return { read: fileReader(dir), decoder: new NodeImageDecoder(), cache: new ImageCache(512 * 1024 * 1024), description };
}

function overridesFrom(args: Parsed): Partial<TrainConfig> {
  const o = args.options;
  if (o.valSize !== undefined && o.valFrac !== undefined) throw new UsageError('give --val-size or --val-frac, not both');
  if (o.valFrac !== undefined && !((o.valFrac as number) > 0 && (o.valFrac as number) < 1)) throw new UsageError(`--val-frac must be in (0, 1), got ${o.valFrac}`);
  if (o.valSize !== undefined && (o.valSize as number) < 0) throw new UsageError(`--val-size must be >= 0, got ${o.valSize}`);
  return {
    res: o.res as number | undefined,
    batch: o.batch as number | undefined,
    epochs: o.epochs as number | undefined,
    maxSteps: o.maxSteps as number | undefined,
    lr: o.lr as number | undefined,
    optimizer: o.optimizer as TrainConfig['optimizer'] | undefined,
    valSize: (o.valSize ?? o.valFrac) as number | undefined,
    stratify: o.stratify as boolean | undefined,
    seed: o.seed as number | undefined,
    shuffle: o.shuffle as boolean | undefined,
    augment: o.augment as boolean | undefined,
    autocrop: o.autocrop as TrainConfig['autocrop'] | undefined,
    labels: o.labels as TrainConfig['labels'] | undefined,
    classWeights: o.classWeights as boolean | undefined,
    tumorNormalPenalty: o.tumorNormalPenalty as number | undefined,
    freezeBackbone: o.freezeBackbone as boolean | undefined,
    head: o.head as TrainConfig['head'] | undefined,
    width: o.width as number | undefined,
    stack: o.stack as string | undefined,
  };
}

/** Generates the synthetic dataset into `dir` unless it already holds class folders. */
export async function ensureSyntheticData(dir: string, scale: number, seed: number, say: (line: string) => void): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).some((n) => !n.startsWith('.'))) return;
  const { generateSynthetic } = await import('../data/synth.js');
  say(`No dataset at ${dir}: generating the synthetic one (scale ${scale}, seed ${seed}); it is reused by later runs.`);
  const t0 = performance.now();
  let lastSaid = t0;
  const r = await generateSynthetic({
    out: dir,
    scale,
    seed,
    onProgress: (done, total) => {
      const now = performance.now();
      if (now - lastSaid > 10_000 || done === total) {
        lastSaid = now;
        say(`  generated ${done}/${total} images`);
      }
    },
  });
  say(`  ${r.files} images in ${Object.keys(r.counts).length} folders, ${formatDuration((performance.now() - t0) / 1000)}`);
}

export interface TrainCliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown };
  /** Injected in tests (no real signals); default: process SIGINT. */
  installStop?: (onStop: () => void) => { dispose(): void };
  gpu?: Gpu;
}

export async function runTrain(argv: string[], io: TrainCliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const args = parseArgs(trainSpec, argv);
  if (args.help) {
    io.stdout.write(formatHelp(trainSpec) + '\n');
    return 0;
  }
  if (args.positional.length) throw new UsageError(`train takes no positional arguments (got ${args.positional.join(' ')}); see --help`);
  const json = args.options.json === true;
  const progress = new Progress({ stream: io.stdout, json });
  const say = (line: string) => progress.message(line);
  const gpu = io.gpu ?? (await createNodeGpu({ adapter: args.options.adapter as string | undefined, log: say }));
  if (io.gpu) say(`WebGPU adapter: ${gpu.adapter.label}`);
  try {
    const overrides = overridesFrom(args);
    const resumeDir = args.options.resume as string | undefined;
    let dataDir = args.options.data as string | undefined;
    let storeDir: string;
    let base = defaultConfig(gpu.adapter);
    if (resumeDir) {
      const cfgPath = join(resumeDir, 'config.json');
      if (!existsSync(cfgPath)) throw new UsageError(`--resume ${resumeDir}: no config.json there (is it a run folder?)`);
      const saved = JSON.parse(readFileSync(cfgPath, 'utf8')) as { config: TrainConfig; dataset: string };
      dataDir ??= saved.dataset;
      base = saved.config;
      storeDir = resumeDir;
    } else {
      storeDir = createRunFolder({ dir: args.options.out as string | undefined }).dir;
    }
    const weightsPath = args.options.weights as string | undefined;
    const weights = weightsPath ? { ...(await loadWeightsFile(weightsPath)), name: weightsPath } : undefined;
    // Pretrained weights fix the width (torchvision's are 64) unless --width says otherwise.
    const conv1 = weights?.tensors.get('conv1.weight') ?? weights?.tensors.get('module.conv1.weight');
    if (conv1 && overrides.width === undefined && !resumeDir) overrides.width = conv1.shape[0];
    const config = resolveConfig(base, overrides);
    if (!dataDir) {
      dataDir = DEFAULT_DATA_DIR;
      await ensureSyntheticData(dataDir, (args.options.syntheticScale as number | undefined) ?? defaultSyntheticScale(gpu.adapter), 1, say);
    }
    if (!existsSync(dataDir)) throw new UsageError(`--data ${dataDir}: no such folder`);
    let { dataset, report } = await scanDataRoot(dataDir, config.labels);
    let source = nodeImageSource(dataDir);
    say(`Data: ${resolve(dataDir)}`);
    if (config.stack) {
      if (config.labels !== '15') throw new UsageError('--stack uses the 15-label scheme (tumour type or Normal per stack)');
      dataset = stackDataset(parseStackManifest(readFileSync(join(dataDir, config.stack), 'utf8')));
      report = { ...report, counts: {} };
      source = stackSource(source);
      say(`  ${dataset.items.length} T1/T1C+/T2 stacks from ${config.stack}`);
    } else for (const line of describeScan(dataset, report).split('\n')) say(`  ${line}`);
    if (dataset.items.length === 0) throw new UsageError(`${dataDir}: no images found in class folders (see --help for the layout)`);

    const store = new NodeRunStore(storeDir);
    const run = new TrainingRun(gpu, { dataset, scan: report }, { config, weights, resume: !!resumeDir, adapter: gpu.adapter.label }, { source, store });

    let stopRequested = false;
    const stop = (io.installStop ?? defaultStop)(() => {
      stopRequested = true;
      run.stop();
    });
    let exit = 0;
    try {
      const onEvent = (e: TrainEvent) => printEvent(e, progress, say, store.location);
      const result = await run.run(onEvent);
      if (result.reason === 'diverged') exit = 1;
      if (result.reason === 'stopped' || result.reason === 'max-steps') {
        const where = /\s/.test(store.location) ? JSON.stringify(store.location) : store.location;
        say(`${stopRequested ? 'Stopped' : 'Reached --max-steps'}: ${result.message}. Weights and state are in ${store.location}.`);
        say(`Resume with: npm run train -- --resume ${where}${stopRequested ? '' : ' --max-steps N'}`);
      }
    } finally {
      stop.dispose();
    }
    return exit;
  } finally {
    if (!io.gpu) gpu.destroy();
  }
}

function defaultStop(onStop: () => void): { dispose(): void } {
  const h = installStopHandler({ log: (l) => process.stderr.write(l + '\n') });
  const timer = setInterval(() => {
    if (h.stopRequested) {
      onStop();
      clearInterval(timer);
    }
  }, 100);
  return {
    dispose() {
      clearInterval(timer);
      h.dispose();
    },
  };
}

function printEvent(e: TrainEvent, progress: Progress, say: (l: string) => void, dir: string): void {
  switch (e.type) {
    case 'start': {
      const c = e.config;
      const d = e.data;
      if (progress.mode === 'json') {
        progress.message(JSON.stringify({ config: c, data: d, stepsPerEpoch: e.stepsPerEpoch }));
      }
      say(`Labels (${d.labels.length}): ${d.labels.map((l) => `${l} ${d.counts[l]}`).join(', ')}`);
      say(`Split: ${d.train} train, ${d.val} validation${d.missingFromSplit.length ? ` (${d.missingFromSplit.length} files of the split are missing)` : ''}`);
      if (e.weights) say(`Weights: ${e.weights.name}: ${e.weights.loaded} tensors loaded${e.weights.skipped.length ? `, not loaded: ${e.weights.skipped.slice(0, 6).join(', ')}${e.weights.skipped.length > 6 ? ', ...' : ''}` : ''}`);
      say(`Model: ResNet18 width ${c.width}, ${c.head} head, ${(e.parameters / 1e6).toFixed(2)} M parameters (${(e.trainable / 1e6).toFixed(2)} M trained)`);
      say(`Training: ${c.res}x${c.res} px, batch ${c.batch}, ${c.epochs} epochs x ${e.stepsPerEpoch} steps, ${c.optimizer} lr ${learningRate(c)}, augment ${c.augment ? 'on' : 'off'}, autocrop ${c.autocrop}${c.tumorNormalPenalty ? `, tumour-to-Normal penalty ${c.tumorNormalPenalty}` : ''}${c.classWeights ? ', class weights' : ''}`);
      if (e.resumedAt) say(`Resuming at epoch ${e.resumedAt.epoch}, step ${e.resumedAt.step}`);
      say(`Run folder: ${dir}`);
      break;
    }
    case 'step':
      progress.step({ epoch: e.epoch, epochs: e.epochs, step: e.step, steps: e.steps, loss: e.loss, images: e.images });
      break;
    case 'epoch':
      progress.epochEnd({ epoch: e.epoch, epochs: e.epochs, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, valLoss: e.valLoss, valAccuracy: e.valAccuracy, valMacroF1: e.valMacroF1, best: e.best });
      break;
    case 'decode-error':
      say(`warning: cannot use ${e.path}: ${e.reason}`);
      break;
    case 'warning':
      say(`warning: ${e.text}`);
      break;
    case 'validating':
    case 'saved':
      break;
    case 'done':
      if (e.classificationReport) say(`\nClassification report (validation, best epoch ${e.best?.epoch ?? '-'}):\n${e.classificationReport}`);
      say(`Decode failures: ${e.failures.length}${e.failures.length ? ` (${e.failures.slice(0, 5).map((f) => f.path).join(', ')}${e.failures.length > 5 ? ', ...' : ''})` : ''}`);
      if (e.reason === 'diverged') say(`error: ${e.message}`);
      else say(`${e.message}; files in ${dir}: model.safetensors, best.safetensors, report.html, confusion.svg, metrics.jsonl`);
      progress.done({ reason: e.reason, epochs: e.epochsDone, steps: e.globalStep, best: e.best, runDir: dir });
      break;
  }
}
