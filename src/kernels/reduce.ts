// Reductions: row argmax, correct-prediction count, confusion counts, sum of all elements,
// per-channel sums. argmaxRows x: (N, K) f32 -> (N) i32; correctCount logits: (N, K) f32,
// labels: (N) i32 -> one f32 count; confusionCounts predictions, labels: (N) i32 ->
// (K * K) u32 with row = true label; sumAll x: any -> [1]; channelSum x: (N, C, H, W) or (N, C) -> (C).
import { kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { fillTensor } from './fill.js';
import { planeVariant as bnPlaneVariant } from './batchnorm.js';
import { batchChunks, bindRange, maxRangeElements, packUniforms } from './elementwise.js';
import sumSrc from '../../shaders/reduce.sum.wgsl';
import planeSumSrc from '../../shaders/reduce.plane_sum.wgsl';
import columnSumSrc from '../../shaders/reduce.column_sum.wgsl';
import argmaxSrc from '../../shaders/reduce.argmax_rows.wgsl';
import confusionSrc from '../../shaders/reduce.confusion.wgsl';
import correctSrc from '../../shaders/reduce.correct_count.wgsl';
import rowArgmaxLib from '../../shaders/lib/row_argmax.wgsl';

const SUM: Kernel = { name: 'reduce.sum', source: sumSrc };
const PLANE_SUM = {
  tree: { name: 'reduce.plane_sum.tree', source: planeSumSrc, entryPoint: 'tree' } as Kernel,
  rows: { name: 'reduce.plane_sum.rows', source: planeSumSrc, entryPoint: 'rows' } as Kernel,
};
const COLUMN_SUM: Kernel = { name: 'reduce.column_sum', source: columnSumSrc };
/** Snippets these shaders include (shaders/lib). */
const LIB = { row_argmax: rowArgmaxLib };

const ARGMAX: Kernel = kernelWithIncludes({ name: 'reduce.argmax_rows', source: argmaxSrc }, LIB);
const CONFUSION: Kernel = { name: 'reduce.confusion', source: confusionSrc };
const CORRECT: Kernel = kernelWithIncludes({ name: 'reduce.correct_count', source: correctSrc }, LIB);

export function argmaxRows(gpu: Gpu, x: Tensor): Tensor {
  if (x.shape.length !== 2 || x.shape[1]! < 1) throw new RangeError(`argmaxRows: x ${shapeString(x.shape)} must be (N, K) with K >= 1`);
  const [N, K] = x.shape as [number, number];
  const out = Tensor.empty(gpu, [N], 'i32');
  for (const [n0, nb] of batchChunks(gpu, 'argmaxRows', N, [K])) {
    const rx = bindRange(x, n0 * K, nb * K);
    const ro = bindRange(out, n0, nb);
    gpu.dispatch(ARGMAX, { uniforms: packUniforms([nb, K, rx.off, ro.off]), buffers: [rx.binding, ro.binding], workgroups: Math.ceil(nb / 64) });
  }
  return out;
}

/**
 * How many rows of logits (N, K) have their argmax (argmaxRows' rule) equal to the label, as an
 * f32 written to into[index] (a new (1) f32 tensor without into). One fused dispatch instead of
 * argmaxRows plus a compare-and-count: a training step adds it to every batch, and writing it
 * next to the loss lets the caller read both back at once.
 */
export function correctCount(gpu: Gpu, logits: Tensor, labels: Tensor, into?: Tensor, index = 0): Tensor {
  if (logits.shape.length !== 2 || logits.shape[0]! < 1 || logits.shape[1]! < 1) throw new RangeError(`correctCount: logits ${shapeString(logits.shape)} must be (N, K) with N, K >= 1`);
  const [N, K] = logits.shape as [number, number];
  if (labels.size !== N || labels.dtype !== 'i32') throw new RangeError(`correctCount: labels ${shapeString(labels.shape)} ${labels.dtype} must be (${N}) i32 for logits ${shapeString(logits.shape)}`);
  if (into && (into.dtype !== 'f32' || !Number.isInteger(index) || index < 0 || index >= into.size)) throw new RangeError(`correctCount: into[${index}] is not an element of the f32 tensor ${shapeString(into.shape)}`);
  const out = into ?? Tensor.empty(gpu, [1]);
  const ro = bindRange(out, into ? index : 0, 1);
  for (const [n0, nb] of batchChunks(gpu, 'correctCount', N, [K])) {
    const rx = bindRange(logits, n0 * K, nb * K);
    const rl = bindRange(labels, n0, nb);
    gpu.dispatch(CORRECT, {
      uniforms: packUniforms([nb, K, rx.off, rl.off, ro.off, n0 === 0 ? 0 : 1]),
      buffers: [rx.binding, rl.binding, ro.binding],
      workgroups: 1,
    });
  }
  return out;
}

/** Adds one count per sample to counts[label * K + prediction]; into: (K * K) u32, accumulated. */
export function confusionCounts(gpu: Gpu, predictions: Tensor, labels: Tensor, numClasses: number, into?: Tensor): Tensor {
  const K = numClasses;
  if (predictions.size !== labels.size) throw new RangeError(`confusionCounts: predictions ${shapeString(predictions.shape)} and labels ${shapeString(labels.shape)} differ`);
  if (predictions.dtype !== 'i32' || labels.dtype !== 'i32') throw new RangeError(`confusionCounts: predictions and labels must be i32`);
  if (into && (into.size !== K * K || into.dtype !== 'u32')) throw new RangeError(`confusionCounts: into ${shapeString(into.shape)} ${into.dtype} must hold ${K}x${K} u32 counts`);
  let counts = into;
  if (!counts) {
    counts = Tensor.empty(gpu, [K * K], 'u32');
    fillTensor(counts, 0); // f32 0 has all bits zero: u32 0.
  }
  const n = labels.size;
  const step = maxRangeElements(gpu);
  for (let s = 0; s < n; s += step) {
    const c = Math.min(step, n - s);
    const rp = bindRange(predictions, s, c);
    const rl = bindRange(labels, s, c);
    gpu.dispatch(CONFUSION, {
      uniforms: packUniforms([c, K, rp.off, rl.off]),
      buffers: [rp.binding, rl.binding, counts.binding],
      workgroups: Math.ceil(c / 64),
    });
  }
  return counts;
}

/** Sum of all elements (tree reductions, repeated until one value is left): [1]. */
export function sumAll(gpu: Gpu, x: Tensor): Tensor {
  const step = maxRangeElements(gpu);
  let src = x;
  let count = x.size;
  for (;;) {
    // Each chunk (one binding) yields ceil(chunk / 2048) partials, stored one after another.
    const chunks: Array<[number, number]> = [];
    for (let s = 0; s < count; s += step) chunks.push([s, Math.min(step, count - s)]);
    const groups = chunks.reduce((g, [, c]) => g + Math.ceil(c / 2048), 0);
    const dst = Tensor.empty(gpu, [Math.max(1, groups)]);
    if (count === 0) fillTensor(dst, 0);
    let outBase = 0;
    for (const [s, c] of chunks) {
      const r = bindRange(src, s, c);
      gpu.dispatch(SUM, { uniforms: packUniforms([c, r.off, outBase]), buffers: [r.binding, dst.binding], workgroups: Math.ceil(c / 2048) });
      outBase += Math.ceil(c / 2048);
    }
    if (src !== x) src.release();
    src = dst;
    count = groups;
    if (groups <= 1) return dst;
  }
}

/**
 * The one place the plane variant is chosen: the same rule as batchnorm's planeVariant (and
 * the same test override), SwiftShader always per-invocation rows, GPUs a tree for big planes.
 */
function planeVariant(gpu: Gpu, hw: number): 'tree' | 'rows' {
  return bnPlaneVariant(gpu, hw);
}

/**
 * out (cols) = the column sums of x read as a row-major (rows, cols) matrix, added to out's own
 * values with `accumulate`. Both must fit one binding. (conv2d's split-K sums its partials so.)
 */
export function columnSumInto(gpu: Gpu, x: Tensor, rows: number, cols: number, out: Tensor, accumulate: boolean): void {
  if (x.size !== rows * cols || out.size !== cols) {
    throw new RangeError(`columnSumInto: x ${shapeString(x.shape)} must hold ${rows} x ${cols} and out ${shapeString(out.shape)} ${cols} floats`);
  }
  for (const t of [x, out]) {
    if (t.byteLength > gpu.limits.maxBindingBytes) throw new RangeError(`columnSumInto: ${shapeString(t.shape)} exceeds the ${gpu.limits.maxBindingBytes}-byte binding limit`);
  }
  gpu.dispatch(COLUMN_SUM, { uniforms: packUniforms([rows, cols, 0, accumulate ? 1 : 0]), buffers: [x.binding, out.binding], workgroups: Math.ceil(cols / 64) });
}

/** Per-channel sums over batch and space: (N, C, H, W) or (N, C) -> (C). */
export function channelSum(gpu: Gpu, x: Tensor): Tensor {
  if (x.shape.length !== 2 && x.shape.length !== 4) throw new RangeError(`channelSum: x ${shapeString(x.shape)} must be (N, C, H, W) or (N, C)`);
  const [N, C] = x.shape as [number, number];
  const HW = x.shape.length === 4 ? x.shape[2]! * x.shape[3]! : 1;
  const out = Tensor.empty(gpu, [C]);
  let rowsT = x;
  if (HW > 1) {
    rowsT = Tensor.empty(gpu, [N, C]);
    const variant = planeVariant(gpu, HW);
    for (const [n0, nb] of batchChunks(gpu, 'channelSum', N, [C * HW])) {
      const r = bindRange(x, n0 * C * HW, nb * C * HW);
      gpu.dispatch(PLANE_SUM[variant], {
        uniforms: packUniforms([HW, nb * C, r.off, n0 * C]),
        buffers: [r.binding, rowsT.binding],
        workgroups: variant === 'tree' ? nb * C : Math.ceil((nb * C) / 64),
      });
    }
  }
  if (rowsT.size * 4 > gpu.limits.maxBindingBytes) {
    // Column sums chunk by chunk of rows, then the sum of the chunk results.
    const parts: Tensor[] = [];
    for (const [n0, nb] of batchChunks(gpu, 'channelSum', N, [C])) {
      const p = Tensor.empty(gpu, [C]);
      const r = bindRange(rowsT, n0 * C, nb * C);
      gpu.dispatch(COLUMN_SUM, { uniforms: packUniforms([nb, C, r.off]), buffers: [r.binding, p.binding], workgroups: Math.ceil(C / 64) });
      parts.push(p);
    }
    const stacked = Tensor.empty(gpu, [parts.length, C]);
    parts.forEach((p, i) => {
      gpu.copy(p.buffer, p.offset, stacked.buffer, stacked.offset + i * C * 4, C * 4);
      p.release();
    });
    gpu.dispatch(COLUMN_SUM, { uniforms: packUniforms([parts.length, C, 0]), buffers: [stacked.binding, out.binding], workgroups: Math.ceil(C / 64) });
    stacked.release();
  } else {
    gpu.dispatch(COLUMN_SUM, { uniforms: packUniforms([N, C, 0]), buffers: [rowsT.binding, out.binding], workgroups: Math.ceil(C / 64) });
  }
  if (rowsT !== x) rowsT.release();
  return out;
}
