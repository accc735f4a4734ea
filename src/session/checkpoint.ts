// Checkpoints: safetensors with torchvision's state_dict names and a `__metadata__` block that
// carries everything eval and predict need (labels, input size, preprocessing, architecture),
// plus the optimiser-state file that --resume needs. Browser-safe: bytes in, bytes out.
// Optimiser state: arena-flat f32 tensors `state.<i>`, (total) each, parallel to the parameters.
import type { Gpu } from '../gpu/runtime.js';
import { DEFAULT_AUTOCROP, type AutocropOptions } from '../reference/autocrop.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../reference/resample.js';
import type { Optimizer } from '../nn/optim.js';
import { ResNet18 } from '../nn/resnet.js';
import { loadWeights } from '../nn/weights/load.js';
import { jsonMetadata, parseJsonMetadata, writeSafetensors } from '../nn/weights/safetensors.js';
import type { StateDict } from '../nn/weights/state-dict.js';
import type { AutocropName, HeadMode, LabelScheme } from './config.js';

export const CHECKPOINT_FORMAT = 'brainmri-resnet18';

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  arch: 'resnet18';
  width: number;
  head: HeadMode;
  numClasses: number;
  labels: string[];
  labelScheme: LabelScheme | 'folders';
  /** Label indices that mean "no tumour" (tumour-to-Normal errors are counted against them). */
  normalLabels: number[];
  /** Input is (N, 3, inputSize, inputSize). */
  inputSize: number;
  /** 'stack': channels are T1, T1C+, T2 of one patient (src/session/stack.ts); 'rgb': one image. */
  channels?: 'rgb' | 'stack';
  preprocessing: {
    autocrop: AutocropOptions;
    /** Bilinear, antialiased when shrinking; then /255 and ImageNet normalisation. */
    resize: 'bilinear-antialias';
    mean: number[];
    std: number[];
  };
  /** Training progress when saved. */
  epoch: number;
  step: number;
  valMacroF1?: number;
  valAccuracy?: number;
  createdAt: string;
}

export function autocropOptions(name: AutocropName): AutocropOptions {
  return { ...DEFAULT_AUTOCROP, mode: name === 'off' ? 'none' : name };
}

export function preprocessingMeta(autocrop: AutocropName): CheckpointMeta['preprocessing'] {
  return { autocrop: autocropOptions(autocrop), resize: 'bilinear-antialias', mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] };
}

export function encodeCheckpoint(sd: StateDict, meta: CheckpointMeta): Uint8Array {
  // Absent optional fields (no validation set) are left out: metadata values must be strings.
  const defined = Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined));
  return writeSafetensors(sd, jsonMetadata(defined));
}

/** Reads a checkpoint's metadata (throws a readable error when it is not one of ours). */
export function parseCheckpointMeta(metadata: Record<string, string>, name = 'checkpoint'): CheckpointMeta {
  const format = metadata['format'];
  if (format !== CHECKPOINT_FORMAT) {
    throw new Error(`${name}: not a brainmri checkpoint (its safetensors metadata has no format "${CHECKPOINT_FORMAT}"); train one with \`npm run train\`, or pass other weights to train with --weights`);
  }
  const num = (k: string): number => Number(parseJsonMetadata<number>(metadata, k));
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    arch: 'resnet18',
    width: num('width'),
    head: (metadata['head'] as HeadMode) ?? 'replace',
    numClasses: num('numClasses'),
    labels: parseJsonMetadata<string[]>(metadata, 'labels') ?? [],
    labelScheme: (metadata['labelScheme'] as CheckpointMeta['labelScheme']) ?? '15',
    normalLabels: parseJsonMetadata<number[]>(metadata, 'normalLabels') ?? [],
    inputSize: num('inputSize'),
    channels: metadata['channels'] === 'stack' ? 'stack' : 'rgb',
    preprocessing: parseJsonMetadata<CheckpointMeta['preprocessing']>(metadata, 'preprocessing') ?? preprocessingMeta('seed'),
    epoch: num('epoch'),
    step: num('step'),
    valMacroF1: parseJsonMetadata<number>(metadata, 'valMacroF1'),
    valAccuracy: parseJsonMetadata<number>(metadata, 'valAccuracy'),
    createdAt: metadata['createdAt'] ?? '',
  };
  if (!(meta.width >= 1 && meta.numClasses >= 1 && meta.inputSize >= 1) || meta.labels.length !== meta.numClasses) {
    throw new Error(`${name}: checkpoint metadata is incomplete (width ${meta.width}, ${meta.numClasses} classes, ${meta.labels.length} labels, input ${meta.inputSize})`);
  }
  return meta;
}

/** Builds the model a checkpoint describes and loads its weights (strictly). */
export async function modelFromCheckpoint(gpu: Gpu, bytes: Uint8Array, name = 'checkpoint'): Promise<{ model: ResNet18; meta: CheckpointMeta }> {
  const loaded = await loadWeights(bytes);
  const meta = parseCheckpointMeta(loaded.metadata, name);
  const model = new ResNet18(gpu, { numClasses: meta.numClasses, width: meta.width, head: meta.head });
  try {
    model.loadStateDict(loaded.tensors);
  } catch (err) {
    model.destroy();
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  model.eval();
  return { model, meta };
}

// Optimiser state ------------------------------------------------------------------------------
// Through the optimisers' public state API (Optimizer.exportState/importState). The file layout
// predates that API and is kept so existing run folders resume: tensor `state.<i>` is the i-th of
// opt.stateNames, f32 (arena.total); metadata format "brainmri-optimizer", optimizer, steps, and
// the caller's extras (globalStep).

const OPTIMIZER_FORMAT = 'brainmri-optimizer';

/** Serialises the optimiser's state buffers and step count (reads back from the GPU). */
export async function encodeOptimizerState(gpu: Gpu, opt: Optimizer, name: string, extra: Record<string, unknown>): Promise<Uint8Array> {
  const state = opt.exportState();
  const sd: StateDict = new Map();
  try {
    for (const [i, key] of opt.stateNames.entries()) {
      const t = state.tensors[key]!;
      const data = new Float32Array(await gpu.read(t.buffer, t.offset, t.byteLength));
      sd.set(`state.${i}`, { dtype: 'f32', shape: [data.length], data });
    }
  } finally {
    for (const t of Object.values(state.tensors)) t.release();
  }
  return writeSafetensors(sd, jsonMetadata({ format: OPTIMIZER_FORMAT, optimizer: name, steps: state.steps, ...extra }));
}

/** Restores what encodeOptimizerState saved into a fresh optimiser of the same kind and model. */
export async function restoreOptimizerState(opt: Optimizer, name: string, bytes: Uint8Array): Promise<Record<string, string>> {
  const { tensors, metadata } = await loadWeights(bytes);
  if (metadata['format'] !== OPTIMIZER_FORMAT) throw new Error('optimizer state file: not a brainmri optimizer state');
  if (metadata['optimizer'] !== name) throw new Error(`optimizer state is for ${metadata['optimizer']}, the run uses ${name}`);
  const names = opt.stateNames;
  if (tensors.size !== names.length) throw new Error(`optimizer state has ${tensors.size} buffers, ${name} needs ${names.length} (${names.join(', ') || 'none'})`);
  const byName: Record<string, Float32Array> = {};
  names.forEach((key, i) => {
    const src = tensors.get(`state.${i}`);
    if (!src) throw new Error(`optimizer state file lacks state.${i} (${name}'s ${key})`);
    if (src.dtype !== 'f32' || !(src.data instanceof Float32Array)) throw new Error(`optimizer state file: state.${i} (${name}'s ${key}) is ${src.dtype}, expected f32`);
    byName[key] = src.data;
  });
  const steps = Number(metadata['steps'] ?? 0);
  try {
    opt.importState({ steps, tensors: byName });
  } catch (err) {
    throw new Error(`optimizer state does not fit this model: ${(err as Error).message}`);
  }
  return metadata;
}
