// Trivial elementwise ops (ReLU and its backward, add, accumulate, scale) from one WGSL template.
// a, b, x, y, dy, acc, g: any shape, f32, contiguous; results have the input's shape.
// Also home of the binding helpers the other non-conv wrappers share: range bindings at 256-byte
// boundaries (remainder as a uniform) and plans that split work along the batch.
import { kernelFromTemplate, KernelFamily, type Kernel } from '../gpu/kernel.js';
import type { Gpu } from '../gpu/runtime.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import template from '../../shaders/elementwise.map.wgsl';

export interface RangeBinding {
  binding: { buffer: GPUBuffer; offset: number; size: number };
  /** Element offset of the range's first element inside the binding. */
  off: number;
}

/** Binds elements [start, start + count) of `t`, starting at the 256-byte boundary below. */
export function bindRange(t: Tensor, start: number, count: number): RangeBinding {
  const byte = t.offset + start * 4;
  const aligned = Math.floor(byte / 256) * 256;
  const off = (byte - aligned) / 4;
  return { binding: { buffer: t.buffer, offset: aligned, size: Math.max(4, (off + count) * 4) }, off };
}

/**
 * Splits `n` samples into chunks whose range bindings fit `gpu.limits.maxBindingBytes`;
 * `perSample` lists the elements per sample of every tensor that is bound by range.
 */
export function batchChunks(gpu: Gpu, op: string, n: number, perSample: readonly number[], maxPerChunk = Infinity): Array<[number, number]> {
  const widest = Math.max(1, ...perSample);
  const per = Math.min(maxPerChunk, Math.floor((gpu.limits.maxBindingBytes - 256) / (widest * 4)));
  if (per < 1) throw new RangeError(`${op}: one sample of ${widest} elements does not fit the ${gpu.limits.maxBindingBytes}-byte binding limit`);
  const chunks: Array<[number, number]> = [];
  for (let n0 = 0; n0 < n; n0 += per) chunks.push([n0, Math.min(per, n - n0)]);
  return chunks;
}

/** Largest element count whose range binding fits the limit (any start offset). */
export function maxRangeElements(gpu: Gpu): number {
  return Math.floor(gpu.limits.maxBindingBytes / 4) - 64;
}

/** Packs a uniform block: the u32 fields first, then the f32 fields. */
export function packUniforms(u32s: readonly number[], f32s: readonly number[] = []): Uint32Array {
  const a = new Uint32Array(Math.max(4, u32s.length + f32s.length));
  a.set(u32s);
  new Float32Array(a.buffer).set(f32s, u32s.length);
  return a;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

type Arity = 'unary' | 'binary' | 'inplace';
const BINDINGS: Record<Arity, string> = {
  unary: `@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;`,
  binary: `@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;`,
  // acc += b: the accumulator is the output, so it is bound once, read_write.
  inplace: `@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;`,
};

const family = new KernelFamily<{ op: string; arity: Arity; expr: string }>(({ op, arity, expr }) => {
  const loads =
    arity === 'unary'
      ? 'let x = a[params.offA + i];'
      : arity === 'binary'
        ? 'let x = a[params.offA + i]; let y = b[params.offB + i];'
        : 'let x = out[params.offOut + i]; let y = b[params.offB + i];';
  return kernelFromTemplate(`elementwise.${op}`, template, {
    BINDINGS: BINDINGS[arity],
    BODY: `${loads}\n  out[params.offOut + i] = ${expr};`,
  });
});

// NaN in x stays NaN through ReLU (as in PyTorch): `select` keeps x unless x <= 0.
const RELU = family.get({ op: 'relu', arity: 'unary', expr: 'select(x, 0.0, x <= 0.0)' });
const RELU_BWD = family.get({ op: 'relu_backward', arity: 'binary', expr: 'select(0.0, x, y > 0.0)' });
const ADD = family.get({ op: 'add', arity: 'binary', expr: 'x + y' });
const ADD_INTO = family.get({ op: 'add_into', arity: 'inplace', expr: 'x + y' });
const SCALE = family.get({ op: 'scale', arity: 'unary', expr: 'x * params.s' });

/** Records `kernel` over all elements, split so every range binding fits the limit. */
function run(gpu: Gpu, kernel: Kernel, out: Tensor, a: Tensor | null, b: Tensor | null, s = 0): void {
  const step = maxRangeElements(gpu);
  for (let start = 0; start < out.size; start += step) {
    const count = Math.min(step, out.size - start);
    const o = bindRange(out, start, count);
    const ra = a ? bindRange(a, start, count) : null;
    const rb = b ? bindRange(b, start, count) : null;
    const buffers = [ra?.binding, rb?.binding].filter((x): x is RangeBinding['binding'] => !!x);
    gpu.dispatch(kernel, {
      uniforms: packUniforms([count, ra?.off ?? 0, rb?.off ?? 0, o.off], [s]),
      buffers: [...buffers, o.binding],
      workgroups: Math.ceil(count / 1024),
    });
  }
}

function checkSame(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new RangeError(`${op}: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} differ`);
}

/** y = max(x, 0). */
export function relu(gpu: Gpu, x: Tensor): Tensor {
  const y = Tensor.empty(gpu, x.shape);
  run(gpu, RELU, y, x, null);
  return y;
}

/** dx = dy * (y > 0), with y the ReLU's output. */
export function reluBackward(gpu: Gpu, dy: Tensor, y: Tensor): Tensor {
  checkSame('reluBackward', dy, y);
  const dx = Tensor.empty(gpu, dy.shape);
  // The template's `a` is dy (x in the expression) and `b` is y.
  run(gpu, RELU_BWD, dx, dy, y);
  return dx;
}

export function add(gpu: Gpu, a: Tensor, b: Tensor): Tensor {
  checkSame('add', a, b);
  const out = Tensor.empty(gpu, a.shape);
  run(gpu, ADD, out, a, b);
  return out;
}

/** acc += g, in place (gradient accumulation). */
export function addInto(gpu: Gpu, acc: Tensor, g: Tensor): void {
  if (acc.size !== g.size) throw new RangeError(`addInto: shapes ${shapeString(acc.shape)} and ${shapeString(g.shape)} differ`);
  run(gpu, ADD_INTO, acc, null, g);
}

export function scale(gpu: Gpu, x: Tensor, s: number): Tensor {
  const y = Tensor.empty(gpu, x.shape);
  run(gpu, SCALE, y, x, null, s);
  return y;
}
