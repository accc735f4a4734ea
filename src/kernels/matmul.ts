// Matrix multiply C = op(A) @ op(B) (+ bias), register/workgroup tiled.
// a: (M, K), or (K, M) when transA; b: (K, N), or (N, K) when transB; bias: (N); c: (M, N); f32.
// Large products are split along M (rows of C, and of A when it is not transposed) so every
// range binding fits gpu.limits.maxBindingBytes; B (and a transposed A) must fit one binding.
import { kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import { bindRange, packUniforms } from './elementwise.js';
import regsSrc from '../../shaders/matmul.regs.wgsl';
import tiledSrc from '../../shaders/matmul.tiled.wgsl';
import ioLib from '../../shaders/lib/matmul_io.wgsl';

export type MatmulVariant = 'regs' | 'tiled';

const KERNELS: Record<MatmulVariant, Kernel> = {
  regs: kernelWithIncludes({ name: 'matmul.regs', source: regsSrc }, { matmul_io: ioLib }),
  tiled: kernelWithIncludes({ name: 'matmul.tiled', source: tiledSrc }, { matmul_io: ioLib }),
};

/**
 * The one place the variant is chosen: SwiftShader pays a coroutine switch per barrier, so the
 * barrier-free register tile wins there; GPUs prefer the workgroup-memory tile.
 */
export function matmulVariant(gpu: Gpu): MatmulVariant {
  return gpu.adapter.isSwiftShader ? 'regs' : 'tiled';
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

export interface GemmOptions extends MatmulOptions {
  /** Added to every row of C: (N). */
  bias?: Tensor | null;
  /** Overrides matmulVariant (tests run both). */
  variant?: MatmulVariant;
}

export function matmul(gpu: Gpu, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  return gemm(gpu, a, b, opts);
}

/** matmul with an optional bias row and an explicit variant. */
export function gemm(gpu: Gpu, a: Tensor, b: Tensor, opts: GemmOptions = {}): Tensor {
  const op = 'matmul';
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new RangeError(`${op}: A ${shapeString(a.shape)} and B ${shapeString(b.shape)} must be 2-D`);
  const [M, K] = opts.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [Kb, N] = opts.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (K !== Kb)
    throw new RangeError(`${op}: inner sizes differ: A ${shapeString(a.shape)}${opts.transA ? '^T' : ''} @ B ${shapeString(b.shape)}${opts.transB ? '^T' : ''}`);
  const bias = opts.bias ?? null;
  if (bias && bias.size !== N) throw new RangeError(`${op}: bias ${shapeString(bias.shape)} must have ${N} elements`);
  const c = Tensor.empty(gpu, [M, N]);
  if (M === 0 || N === 0) return c;
  const kernel = KERNELS[opts.variant ?? matmulVariant(gpu)];
  const limit = gpu.limits.maxBindingBytes;
  const whole = (t: Tensor, what: string): void => {
    if (t.size * 4 > limit) throw new RangeError(`${op}: ${what} ${shapeString(t.shape)} exceeds the ${limit}-byte binding limit (only M is split)`);
  };
  whole(b, 'B');
  if (opts.transA) whole(a, 'transposed A');
  // Rows of C per dispatch: C's rows (and A's, when not transposed) must fit a binding.
  const rowBytes = Math.max(N, opts.transA ? 0 : K) * 4;
  let rows = Math.floor((limit - 256) / rowBytes);
  rows = Math.min(M, rows >= 64 ? rows - (rows % 64) : rows, gpu.limits.maxWorkgroupsPerDimension * 64);
  if (rows < 1) throw new RangeError(`${op}: one row of ${rowBytes} bytes exceeds the ${limit}-byte binding limit`);
  if (Math.ceil(N / 64) > gpu.limits.maxWorkgroupsPerDimension) throw new RangeError(`${op}: N = ${N} needs too many workgroups`);
  const [sam, sak] = opts.transA ? [1, M] : [K, 1];
  const [sbk, sbn] = opts.transB ? [1, K] : [N, 1];
  // A dummy read-only 4-byte binding of B stands in for a missing bias (never read then; C
  // cannot serve, a writable binding must not alias another).
  const biasBinding = bias ? bias.binding : { buffer: b.buffer, offset: b.offset, size: 4 };
  for (let m0 = 0; m0 < M; m0 += rows) {
    const mc = Math.min(rows, M - m0);
    const ra = opts.transA ? { binding: a.binding, off: m0 } : bindRange(a, m0 * K, mc * K);
    const rc = bindRange(c, m0 * N, mc * N);
    // For a transposed A, row m0 of op(A) is column m0 of A: offset m0 within the whole binding.
    gpu.dispatch(kernel, {
      uniforms: packUniforms([mc, N, K, sam, sak, sbk, sbn, ra.off, 0, rc.off, bias ? 1 : 0]),
      buffers: [ra.binding, b.binding, biasBinding, rc.binding],
      workgroups: [Math.ceil(N / 64), Math.ceil(mc / 64)],
    });
  }
  return c;
}
