// Prediction for loose image files, and Grad-CAM heatmaps computed with the engine's autograd.
// images: (N, 3, S, S) f32 normalised; A = layer4 activations (N, C, h, w); logits (N, K);
// cam: (N, S, S) in [0, 1]; overlay: (S', S', 4) u8 RGBA.
//
// Grad-CAM: the backbone up to layer4 runs without a graph (eval-mode BatchNorm); layer4's output
// becomes a leaf that requires a gradient, avgpool + fc (+ head) run on a recording tape, and
// backward starts from the chosen class's logit of every row (a seed node whose gradient is the
// one-hot selection). The class weights are the spatial means of dlogit/dA; the map is
// ReLU(sum_k weight_k A_k), normalised to [0, 1] and resized to the input.
import type { Gpu } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { DataLoader } from '../data/loader.js';
import type { ImageDecoder } from '../data/image.js';
import type { DatasetItem } from '../data/scan.js';
import { Tape, Var } from '../nn/tape.js';
import type { ResNet18 } from '../nn/resnet.js';
import { evalForward } from '../nn/train.js';
import { predictFromLogits, topK, type Ranked } from '../report/predictions.js';
import type { CheckpointMeta } from './checkpoint.js';

export interface PredictInput {
  /** Shown in the output (a path or a file name). */
  name: string;
  bytes: Uint8Array;
}

export interface ImagePrediction {
  name: string;
  logits: number[];
  probabilities: number[];
  top: (Ranked & { name: string })[];
  /** Present with `heatmap: true`. */
  heatmap?: { size: number; cam: Float32Array; input: Uint8Array };
}

export interface PredictOptions {
  topK?: number;
  batch?: number;
  heatmap?: boolean;
  decoder: ImageDecoder;
  onError?: (name: string, reason: string) => void;
}

/** Top-k labels (and optionally Grad-CAM maps) for each readable image, in input order. */
export async function predictImages(gpu: Gpu, model: ResNet18, meta: CheckpointMeta, inputs: readonly PredictInput[], o: PredictOptions): Promise<ImagePrediction[]> {
  const bytes = new Map<string, Uint8Array>();
  const items: DatasetItem[] = inputs.map((inp, i) => {
    const key = `${i}/${inp.name}`;
    bytes.set(key, inp.bytes);
    return { path: key, label: 0, folder: '', sequence: null };
  });
  const nameOf = (path: string) => path.slice(path.indexOf('/') + 1);
  const loader = new DataLoader(gpu, items, {
    read: async (p) => bytes.get(p)!,
    decoder: o.decoder,
    size: meta.inputSize,
    batchSize: o.batch ?? 8,
    shuffle: false,
    seed: 0,
    crop: meta.preprocessing.autocrop,
    augment: null,
    cache: null,
    onError: (p, r) => o.onError?.(nameOf(p), r),
  });
  const K = model.numClasses;
  const out: ImagePrediction[] = [];
  model.eval();
  for await (const batch of loader.epoch(0)) {
    const n = batch.items.length;
    const logitsT = evalForward(model, batch.images);
    gpu.submit();
    const logits = await logitsT.toArray();
    logitsT.release();
    const p = predictFromLogits(logits, K);
    let cams: Float32Array | null = null;
    let inputsRgba: Uint8Array[] = [];
    if (o.heatmap) {
      cams = await gradCam(gpu, model, batch.images, Array.from(p.predicted));
      inputsRgba = denormalise(await batch.images.toArray(), n, meta.inputSize, meta.preprocessing.mean, meta.preprocessing.std);
    }
    batch.images.release();
    for (let i = 0; i < n; i++) {
      const probs = Array.from(p.probabilities.subarray(i * K, (i + 1) * K));
      const S = meta.inputSize;
      out.push({
        name: nameOf(batch.items[i]!.path),
        logits: Array.from(logits.subarray(i * K, (i + 1) * K)),
        probabilities: probs,
        top: topK(probs, o.topK ?? 3).map((r) => ({ ...r, name: meta.labels[r.label] ?? String(r.label) })),
        heatmap: cams ? { size: S, cam: cams.slice(i * S * S, (i + 1) * S * S), input: inputsRgba[i]! } : undefined,
      });
    }
  }
  return out;
}

/**
 * Grad-CAM maps (N, S, S) in [0, 1] for class `classes[i]` of row i, at the input resolution S.
 * `images` is not released.
 */
export async function gradCam(gpu: Gpu, model: ResNet18, images: Tensor, classes: readonly number[]): Promise<Float32Array> {
  const S = images.shape[2]!;
  const { act, grad, shape } = await layer4Gradients(gpu, model, images, classes);
  const [N, C, h, w] = shape;
  return camMaps(act, grad, N, C, h, w, S);
}

/**
 * layer4's activations A (N, C, h, w) in eval mode and d(logit of classes[i] in row i)/dA, by the
 * engine's tape. `images` is not released.
 */
export async function layer4Gradients(gpu: Gpu, model: ResNet18, images: Tensor, classes: readonly number[]): Promise<{ act: Float32Array; grad: Float32Array; shape: [number, number, number, number] }> {
  const N = images.shape[0]!;
  if (classes.length !== N) throw new RangeError(`gradCam: ${classes.length} classes for ${N} images`);
  const wasTraining = model.training;
  model.eval();
  try {
    // Backbone without a graph.
    const noGrad = new Tape(gpu, false);
    const x = Var.leaf(images, false, 'images');
    const a = model.conv1.forward(noGrad, x);
    const b = model.bn1.forward(noGrad, a, true);
    a.free();
    let h = model.maxpool.forward(noGrad, b);
    b.free();
    for (const block of model.layers.flat()) {
      const next = block.forward(noGrad, h);
      h.free();
      h = next;
    }
    // layer4's output as a leaf whose gradient lands in `grad`.
    const act = h.data;
    const A = Var.leaf(act, true, 'layer4');
    const grad = Tensor.empty(gpu, act.shape);
    A.gradTarget = grad;
    const tape = new Tape(gpu, true);
    const pooled = model.avgpool.forward(tape, A);
    let logits = model.fc.forward(tape, pooled);
    pooled.free();
    if (model.head) {
      const o2 = model.head.forward(tape, logits);
      logits.free();
      logits = o2;
    }
    const K = logits.shape[1]!;
    const onehot = new Float32Array(N * K);
    classes.forEach((c, i) => (onehot[i * K + c] = 1));
    const seed = Tensor.fromArray(gpu, onehot, [N, K]);
    // The root: sum over rows of the selected logit. Its rule hands back the one-hot selection.
    const root = tape.record(Tensor.empty(gpu, [1]), { op: 'select_logit', inputs: [logits], owned: [seed], backward: (_dy, [need]) => [need ? seed : null] });
    logits.free();
    tape.backward(root, [A]);
    root.free();
    gpu.submit();
    const [actV, gradV] = await Promise.all([act.toArray(), grad.toArray()]);
    h.free();
    grad.release();
    return { act: Float32Array.from(actV), grad: Float32Array.from(gradV), shape: [...act.shape] as [number, number, number, number] };
  } finally {
    if (wasTraining) model.train();
  }
}

/** ReLU(sum_k mean(grad_k) A_k) per image, max-normalised, bilinearly resized to S x S. */
export function camMaps(act: ArrayLike<number>, grad: ArrayLike<number>, N: number, C: number, h: number, w: number, S: number): Float32Array {
  const out = new Float32Array(N * S * S);
  const hw = h * w;
  for (let n = 0; n < N; n++) {
    const cam = new Float64Array(hw);
    for (let k = 0; k < C; k++) {
      const base = (n * C + k) * hw;
      let alpha = 0;
      for (let j = 0; j < hw; j++) alpha += grad[base + j]!;
      alpha /= hw;
      for (let j = 0; j < hw; j++) cam[j]! += alpha * act[base + j]!;
    }
    let max = 0;
    for (let j = 0; j < hw; j++) max = Math.max(max, (cam[j] = Math.max(0, cam[j]!)));
    for (let y = 0; y < S; y++) {
      // Pixel centres mapped onto the h x w grid (align_corners = false), clamped at the edges.
      const fy = Math.min(Math.max(((y + 0.5) * h) / S - 0.5, 0), h - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, h - 1);
      const ty = fy - y0;
      for (let x = 0; x < S; x++) {
        const fx = Math.min(Math.max(((x + 0.5) * w) / S - 0.5, 0), w - 1);
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, w - 1);
        const tx = fx - x0;
        const v = (1 - ty) * ((1 - tx) * cam[y0 * w + x0]! + tx * cam[y0 * w + x1]!) + ty * ((1 - tx) * cam[y1 * w + x0]! + tx * cam[y1 * w + x1]!);
        out[n * S * S + y * S + x] = max > 0 ? v / max : 0;
      }
    }
  }
  return out;
}

/** Normalised (N, 3, S, S) back to RGBA bytes per image (what the model saw). */
export function denormalise(x: ArrayLike<number>, N: number, S: number, mean: readonly number[], std: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let n = 0; n < N; n++) {
    const rgba = new Uint8Array(S * S * 4);
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < S * S; j++) {
        const v = (x[(n * 3 + c) * S * S + j]! * std[c]! + mean[c]!) * 255;
        rgba[j * 4 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    for (let j = 0; j < S * S; j++) rgba[j * 4 + 3] = 255;
    out.push(rgba);
  }
  return out;
}

/** The input with the map blended over it in a blue-to-red ramp (alpha grows with the map). */
export function overlayHeatmap(input: Uint8Array, cam: Float32Array, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 4);
  for (let j = 0; j < size * size; j++) {
    const v = cam[j]!;
    // Jet-like ramp: blue -> cyan -> yellow -> red.
    const r = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - 3)));
    const g = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - 2)));
    const b = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - 1)));
    const a = 0.25 + 0.35 * v;
    out[j * 4] = Math.round((1 - a) * input[j * 4]! + a * 255 * r);
    out[j * 4 + 1] = Math.round((1 - a) * input[j * 4 + 1]! + a * 255 * g);
    out[j * 4 + 2] = Math.round((1 - a) * input[j * 4 + 2]! + a * 255 * b);
    out[j * 4 + 3] = 255;
  }
  return out;
}
