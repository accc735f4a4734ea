// Kernel-lab cases: conv2d forward, backward to the input and to the weight, at every conv shape
// of ResNet18 (no bias, as in torchvision). x, dx: (N, Cin, H, W); weight, dweight:
// (Cout, Cin, k, k); y, dy: (N, Cout, Ho, Wo).
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward, type Conv2dVariant } from '../../src/kernels/conv2d.js';
import { conv2dBackwardDataRef, conv2dBackwardWeightRef, conv2dForwardRef } from '../../src/reference/conv2d.js';
import type { Rng } from '../../src/reference/random.js';
import type { KernelCase } from '../harness.js';
import type { ConvShape, Resnet18Shapes } from '../shapes.js';
import { defineCase, numel, randomTensor, shapeText, type CaseSpec } from './common.js';

// Convention tolerances: forward 1e-4, gradients 1e-3 (f32 sums of up to Cin*k*k or N*Ho*Wo
// products; the gradient sums are the longer ones).
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

type Pass = 'forward' | 'bwd_data' | 'bwd_weight';

function convSpec(s: ConvShape, pass: Pass, variant: Conv2dVariant | undefined): CaseSpec<'x' | 'w' | 'dy'> {
  const x = [s.n, s.cin, s.h, s.w];
  const w = [s.cout, s.cin, s.k, s.k];
  const y = [s.n, s.cout, s.ho, s.wo];
  const p = { stride: s.stride, padding: s.pad };
  const opts = variant ? { variant } : undefined;
  const macs = s.n * s.cout * s.ho * s.wo * s.cin * s.k * s.k;
  // Inputs in [-1, 1); the weight scaled like a kaiming-uniform init so outputs stay O(1).
  const bound = Math.sqrt(3 / (s.cin * s.k * s.k));
  const base = {
    op: `conv2d.${pass}${variant ? `/${variant}` : ''}`,
    layer: s.layer,
    shape: `${shapeText('x', x)} ${shapeText('w', w)} s${s.stride} p${s.pad}`,
    count: s.count,
    // The direct conv's FLOPs whatever the algorithm: Winograd cases (3x3 stride 1 on SwiftShader)
    // do 16/36 of the multiply-adds, so their GFLOP/s is the direct-equivalent rate.
    flops: 2 * macs,
    // The two operands read once, the result written once (every pass touches x, w and y sizes).
    bytes: 4 * (numel(x) + numel(w) + numel(y)),
    referenceMacs: macs,
    inputs: (rng: Rng) => ({ x: randomTensor(rng, x), w: randomTensor(rng, w, -bound, bound), dy: randomTensor(rng, y) }),
    atBatch: (n: number) => convSpec({ ...s, n }, pass, variant),
  };
  if (pass === 'forward') {
    return {
      ...base,
      tolerance: FWD_TOL,
      run: (gpu, t) => [conv2dForward(gpu, t.x, t.w, null, p, opts)],
      outputs: ['y'],
      reference: (h) => [conv2dForwardRef(h.x.data, x, h.w.data, w, null, p)],
    };
  }
  if (pass === 'bwd_data') {
    return {
      ...base,
      tolerance: GRAD_TOL,
      run: (gpu, t) => [conv2dBackwardData(gpu, t.dy, t.w, x, p, opts)],
      outputs: ['dx'],
      reference: (h) => [conv2dBackwardDataRef(h.dy.data, h.w.data, w, x, p)],
    };
  }
  return {
    ...base,
    tolerance: GRAD_TOL,
    run: (gpu, t) => [conv2dBackwardWeight(gpu, t.x, t.dy, w, p, opts)],
    outputs: ['dweight'],
    reference: (h) => [conv2dBackwardWeightRef(h.x.data, x, h.dy.data, w, p)],
  };
}

/** `variants`: every listed GEMM engine instead of the adapter's default one. */
export function conv2dCases(shapes: Resnet18Shapes, variants?: readonly Conv2dVariant[]): KernelCase[] {
  const out: KernelCase[] = [];
  for (const pass of ['forward', 'bwd_data', 'bwd_weight'] as const)
    for (const v of variants ?? [undefined]) for (const s of shapes.convs) out.push(defineCase(convSpec(s, pass, v)));
  return out;
}
