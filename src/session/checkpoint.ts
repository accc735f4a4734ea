// Checkpoints: safetensors with torchvision's state_dict names and a `__metadata__` block that
// carries everything eval and predict need (labels, input size, preprocessing, architecture),
// plus the optimiser-state file that --resume needs. Browser-safe: bytes in, bytes out.
// Optimiser state: arena-flat f32 tensors `state.<i>`, (total) each, parallel to the parameters.
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
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
// The optimisers keep their state buffers private (src/nn/optim.ts); resuming needs to save and
// restore them, so this adapter reaches the `state` field by name. It is the one place that
// knows that layout: if src/nn/optim.ts grows a public state API, only these two functions change.

interface HasState {
  state?: { get(): Tensor[] };
  steps: number;
}

function stateTensors(opt: Optimizer): Tensor[] {
  const s = (opt as unknown as HasState).state;
  if (!s || typeof s.get !== 'function') throw new Error('optimizer state is not reachable for saving (src/nn/optim.ts changed its layout)');
  return s.get();
}

/** Serialises the optimiser's state buffers and step count (reads back from the GPU). */
export async function encodeOptimizerState(gpu: Gpu, opt: Optimizer, name: string, extra: Record<string, unknown>): Promise<Uint8Array> {
  // SGD without momentum has no state; others make theirs lazily (zeros) on first use.
  const tensors = name === 'sgd' && (opt as unknown as { momentum: number }).momentum === 0 ? [] : stateTensors(opt);
  const sd: StateDict = new Map();
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    const data = new Float32Array(await gpu.read(t.buffer, t.offset, t.byteLength));
    sd.set(`state.${i}`, { dtype: 'f32', shape: [data.length], data });
  }
  return writeSafetensors(sd, jsonMetadata({ format: 'brainmri-optimizer', optimizer: name, steps: opt.steps, ...extra }));
}

/** Restores what encodeOptimizerState saved into a fresh optimiser of the same kind and model. */
export async function restoreOptimizerState(opt: Optimizer, name: string, bytes: Uint8Array): Promise<Record<string, string>> {
  const { tensors, metadata } = await loadWeights(bytes);
  if (metadata['format'] !== 'brainmri-optimizer') throw new Error('optimizer state file: not a brainmri optimizer state');
  if (metadata['optimizer'] !== name) throw new Error(`optimizer state is for ${metadata['optimizer']}, the run uses ${name}`);
  const count = tensors.size;
  if (count > 0) {
    const targets = stateTensors(opt);
    if (targets.length !== count) throw new Error(`optimizer state has ${count} buffers, ${name} needs ${targets.length}`);
    targets.forEach((t, i) => {
      const src = tensors.get(`state.${i}`);
      if (!src || src.data.length !== t.size) throw new Error(`optimizer state.${i} does not fit this model (${src?.data.length} vs ${t.size} values)`);
      t.write(src.data as Float32Array);
    });
  }
  (opt as unknown as HasState).steps = Number(metadata['steps'] ?? 0);
  return metadata;
}
