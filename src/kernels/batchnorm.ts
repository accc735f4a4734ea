// Batch normalisation (PyTorch BatchNorm2d), optionally fused with the ReLU that follows it.
// x, y, dy, dx: (N, C, H, W) f32; weight, bias, runningMean, runningVar, saveMean, saveInvstd,
// dweight, dbias: (C).
// Statistics are two-pass (mean, then sums of (x - mean) and (x - mean)^2 with the rounding
// correction), each pass a per-plane tree reduction; work is split along the batch so every
// range binding fits gpu.limits.maxBindingBytes.
import { kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { fillTensor } from './fill.js';
import { batchChunks, bindRange, packUniforms, sameShape } from './elementwise.js';
import planeSumsSrc from '../../shaders/batchnorm.plane_sums.wgsl';
import meanSrc from '../../shaders/batchnorm.mean.wgsl';
import varSrc from '../../shaders/batchnorm.var.wgsl';
import evalCoefSrc from '../../shaders/batchnorm.eval_coef.wgsl';
import applySrc from '../../shaders/batchnorm.apply.wgsl';
import bwdSumsSrc from '../../shaders/batchnorm.bwd_sums.wgsl';
import bwdCoefSrc from '../../shaders/batchnorm.bwd_coef.wgsl';
import bwdDxSrc from '../../shaders/batchnorm.bwd_dx.wgsl';
import planeSumsLib from '../../shaders/lib/batchnorm_plane_sums.wgsl';
import bwdInputsLib from '../../shaders/lib/batchnorm_bwd_inputs.wgsl';
import channelSumsLib from '../../shaders/lib/batchnorm_channel_sums.wgsl';

export interface BatchNormParams {
  eps: number;
  momentum: number;
  relu?: boolean;
}

type PlaneVariant = 'tree' | 'rows';
// The WGSL snippets the batchnorm shaders include (shaders/lib).
const LIB = { batchnorm_plane_sums: planeSumsLib, batchnorm_bwd_inputs: bwdInputsLib, batchnorm_channel_sums: channelSumsLib };
const bn = (kernel: Kernel): Kernel => kernelWithIncludes(kernel, LIB);
const PLANE_SUMS = {
  tree: bn({ name: 'batchnorm.plane_sums.tree', source: planeSumsSrc, entryPoint: 'tree' }),
  rows: bn({ name: 'batchnorm.plane_sums.rows', source: planeSumsSrc, entryPoint: 'rows' }),
} satisfies Record<PlaneVariant, Kernel>;
const MEAN: Kernel = { name: 'batchnorm.mean', source: meanSrc };
const VAR = bn({ name: 'batchnorm.var', source: varSrc });
const EVAL_COEF: Kernel = { name: 'batchnorm.eval_coef', source: evalCoefSrc };
// [relu][flat]: the flat entry points serve planes under 64 elements (see perElement).
const APPLY = [0, 1].map((r) =>
  [false, true].map((flat): Kernel => ({
    name: `batchnorm.apply${r ? '_relu' : ''}${flat ? '.flat' : ''}`, source: applySrc, constants: { RELU: r }, ...(flat ? { entryPoint: 'flat' } : {}),
  })),
);
const BWD_SUMS = [0, 1].map((r) => ({
  tree: bn({ name: 'batchnorm.bwd_sums.tree', source: bwdSumsSrc, entryPoint: 'tree', constants: { RELU: r } }),
  rows: bn({ name: 'batchnorm.bwd_sums.rows', source: bwdSumsSrc, entryPoint: 'rows', constants: { RELU: r } }),
})) satisfies Record<PlaneVariant, Kernel>[];

/** Tests set `variant` to run both plane reductions whatever the adapter; null = automatic. */
export const planeVariantOverride: { variant: PlaneVariant | null } = { variant: null };

/**
 * The one place a plane-reduction variant is chosen. SwiftShader runs every barrier as a
 * coroutine switch: measured on 8x64x56x56, the workgroup tree took 2.6 s and one invocation
 * per plane 0.11 s, so SwiftShader always takes `rows`. GPUs take the tree for planes large
 * enough to fill a workgroup.
 */
export function planeVariant(gpu: Gpu, hw: number): PlaneVariant {
  if (planeVariantOverride.variant) return planeVariantOverride.variant;
  return !gpu.adapter.isSwiftShader && hw >= 256 ? 'tree' : 'rows';
}

const BWD_COEF = bn({ name: 'batchnorm.bwd_coef', source: bwdCoefSrc });
const BWD_DX = [0, 1].map((r) =>
  [false, true].map((flat) => bn({ name: `batchnorm.bwd_dx${flat ? '.flat' : ''}`, source: bwdDxSrc, constants: { RELU: r }, ...(flat ? { entryPoint: 'flat' } : {}) })),
);

function dims(op: string, x: Tensor, params: Tensor[]): [number, number, number] {
  if (x.shape.length !== 4) throw new RangeError(`${op}: x must be (N, C, H, W), got ${shapeString(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  for (const p of params)
    if (p.size !== C) throw new RangeError(`${op}: per-channel tensor ${shapeString(p.shape)} does not match C = ${C} of x ${shapeString(x.shape)}`);
  return [N, C, H * W];
}

/** Records a per-plane reduction kernel over x's batch chunks into partial (N, C, 2). */
function planeSums(gpu: Gpu, kernels: Record<PlaneVariant, Kernel>, N: number, C: number, HW: number, inputs: Tensor[], small: Tensor[], partial: Tensor): void {
  const variant = planeVariant(gpu, HW);
  const kernel = kernels[variant];
  for (const [n0, nb] of batchChunks(gpu, kernel.name, N, [C * HW])) {
    const ranges = inputs.map((t) => bindRange(t, n0 * C * HW, nb * C * HW));
    gpu.dispatch(kernel, {
      uniforms: packUniforms([HW, C, nb * C, ranges[0]!.off, n0 * C]),
      buffers: [...ranges.map((r) => r.binding), ...small.map((t) => t.binding), partial.binding],
      workgroups: variant === 'tree' ? nb * C : Math.ceil((nb * C) / 64),
    });
  }
}

/**
 * Records an elementwise per-channel kernel (apply / bwd_dx) over batch chunks. `kernels` is the
 * [grid, flat] pair: planes of 64 or more elements take the (plane, channel, image) grid; smaller
 * ones (late layers: 16, 4 or 1 element) one invocation per element, since the grid would run
 * 64-lane workgroups for a handful of live lanes (SwiftShader runs every 4-lane group of them).
 */
function perElement(gpu: Gpu, kernels: readonly Kernel[], N: number, C: number, HW: number, inputs: Tensor[], coef: Tensor, out: Tensor, separateOff: boolean): void {
  const maxWg = gpu.limits.maxWorkgroupsPerDimension;
  const flat = HW < 64;
  const kernel = kernels[flat ? 1 : 0]!;
  if (!flat && (C > maxWg || Math.ceil(HW / 256) > maxWg)) throw new RangeError(`${kernel.name}: C = ${C} or H*W = ${HW} too large for one dispatch`);
  for (const [n0, nb] of batchChunks(gpu, kernel.name, N, [C * HW], maxWg)) {
    const count = nb * C * HW;
    const ranges = inputs.map((t) => bindRange(t, n0 * C * HW, count));
    const o = bindRange(out, n0 * C * HW, count);
    const offs = separateOff ? [ranges[0]!.off, o.off] : [o.off];
    gpu.dispatch(kernel, {
      uniforms: packUniforms([HW, C, ...offs, count]),
      buffers: [...ranges.map((r) => r.binding), coef.binding, o.binding],
      workgroups: flat ? Math.ceil(count / 64) : [Math.ceil(HW / 256), C, nb],
    });
  }
}

export function batchnormTrainForward(
  gpu: Gpu,
  x: Tensor,
  weight: Tensor,
  bias: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  p: BatchNormParams,
): { y: Tensor; saveMean: Tensor; saveInvstd: Tensor } {
  const [N, C, HW] = dims('batchnormTrainForward', x, [weight, bias, runningMean, runningVar]);
  const M = N * HW;
  if (M < 2) throw new RangeError(`batchnormTrainForward: need more than 1 value per channel in training, got x ${shapeString(x.shape)}`);
  const partial = Tensor.empty(gpu, [N, C, 2]);
  const zero = Tensor.empty(gpu, [C]);
  fillTensor(zero, 0);
  const saveMean = Tensor.empty(gpu, [C]);
  const saveInvstd = Tensor.empty(gpu, [C]);
  const coef = Tensor.empty(gpu, [3, C]);
  planeSums(gpu, PLANE_SUMS, N, C, HW, [x], [zero], partial);
  gpu.dispatch(MEAN, { uniforms: packUniforms([N, C], [M]), buffers: [partial.binding, saveMean.binding], workgroups: Math.ceil(C / 64) });
  planeSums(gpu, PLANE_SUMS, N, C, HW, [x], [saveMean], partial);
  gpu.dispatch(VAR, {
    uniforms: packUniforms([N, C], [M, p.eps, p.momentum, M / (M - 1)]),
    buffers: [partial.binding, weight.binding, bias.binding, runningMean.binding, runningVar.binding, saveMean.binding, saveInvstd.binding, coef.binding],
    workgroups: Math.ceil(C / 64),
  });
  const y = Tensor.empty(gpu, x.shape);
  perElement(gpu, APPLY[p.relu ? 1 : 0]!, N, C, HW, [x], coef, y, true);
  partial.release();
  zero.release();
  coef.release();
  return { y, saveMean, saveInvstd };
}

export function batchnormEvalForward(
  gpu: Gpu,
  x: Tensor,
  weight: Tensor,
  bias: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  p: BatchNormParams,
): Tensor {
  const [N, C, HW] = dims('batchnormEvalForward', x, [weight, bias, runningMean, runningVar]);
  const coef = Tensor.empty(gpu, [3, C]);
  gpu.dispatch(EVAL_COEF, {
    uniforms: packUniforms([C], [p.eps]),
    buffers: [weight.binding, bias.binding, runningMean.binding, runningVar.binding, coef.binding],
    workgroups: Math.ceil(C / 64),
  });
  const y = Tensor.empty(gpu, x.shape);
  perElement(gpu, APPLY[p.relu ? 1 : 0]!, N, C, HW, [x], coef, y, true);
  coef.release();
  return y;
}

/** Backward of training-mode batchnorm; pass the fused ReLU's output as `y` to mask dy. */
export function batchnormBackward(
  gpu: Gpu,
  dy: Tensor,
  x: Tensor,
  weight: Tensor,
  saveMean: Tensor,
  saveInvstd: Tensor,
  y: Tensor | null,
): { dx: Tensor; dweight: Tensor; dbias: Tensor } {
  const [N, C, HW] = dims('batchnormBackward', x, [weight, saveMean, saveInvstd]);
  if (!sameShape(dy.shape, x.shape) || (y && !sameShape(y.shape, x.shape)))
    throw new RangeError(`batchnormBackward: dy ${shapeString(dy.shape)}${y ? `, y ${shapeString(y.shape)}` : ''} must match x ${shapeString(x.shape)}`);
  const relu = y ? 1 : 0;
  const partial = Tensor.empty(gpu, [N, C, 2]);
  const coef = Tensor.empty(gpu, [4, C]);
  const dweight = Tensor.empty(gpu, [C]);
  const dbias = Tensor.empty(gpu, [C]);
  // Without a fused ReLU, dy is bound in y's place and never read there.
  const inputs = [dy, x, y ?? dy];
  planeSums(gpu, BWD_SUMS[relu]!, N, C, HW, inputs, [saveMean, saveInvstd], partial);
  gpu.dispatch(BWD_COEF, {
    uniforms: packUniforms([N, C], [N * HW]),
    buffers: [partial.binding, weight.binding, saveMean.binding, saveInvstd.binding, dweight.binding, dbias.binding, coef.binding],
    workgroups: Math.ceil(C / 64),
  });
  const dx = Tensor.empty(gpu, x.shape);
  perElement(gpu, BWD_DX[relu]!, N, C, HW, inputs, coef, dx, false);
  partial.release();
  coef.release();
  return { dx, dweight, dbias };
}
