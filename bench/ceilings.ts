// This adapter's ceilings, measured in the same run as the cases they scale:
// bandwidth = a large buffer-to-buffer copy (read + write bytes / time);
// arithmetic = the best of a few matmul variants (2*M*N*K / time): three probes of the lab's own and
// the engine's two matmul variants, each checked on sampled entries.
import { Rng } from '../src/reference/random.js';
import type { Kernel } from '../src/gpu/kernel.js';
import type { Gpu } from '../src/gpu/runtime.js';
import { Tensor } from '../src/gpu/tensor.js';
import { fill } from '../src/kernels/fill.js';
import { gemm } from '../src/kernels/matmul.js';
import { median, relError, timeRuns, type TimingMethod } from './harness.js';
import mmNaive from './shaders/ceiling.mm_naive.wgsl';
import mmRegs from './shaders/ceiling.mm_regs.wgsl';
import mmTiled from './shaders/ceiling.mm_tiled.wgsl';

const MATMUL_VARIANTS: { kernel: Kernel; workgroups: (m: number, n: number) => [number, number] }[] = [
  { kernel: { name: 'ceiling.mm_naive', source: mmNaive }, workgroups: (m, n) => [n / 16, m / 16] },
  { kernel: { name: 'ceiling.mm_regs', source: mmRegs }, workgroups: (m, n) => [n / 256, m / 8] },
  { kernel: { name: 'ceiling.mm_tiled', source: mmTiled }, workgroups: (m, n) => [n / 64, m / 64] },
];

export interface CeilingResult {
  /** Copy bandwidth, GB/s (1e9 bytes), counting the bytes read and the bytes written. */
  bandwidth_GBps: number;
  copy: { bytes: number; median_ms: number; all_ms: number[] };
  /** Best matmul throughput, GFLOP/s. */
  gflops: number;
  matmul: { variant: string; size: number; median_ms: number; gflops: number; maxRelErr: number; ok: boolean; method: TimingMethod }[];
}

export interface CeilingOptions {
  copyBytes: number;
  matmulSize: number;
  repeats: number;
  method: TimingMethod;
}

/** Default probe sizes: large enough to leave launch overhead behind on this kind of adapter. */
export function ceilingSizes(gpu: Gpu, quick: boolean): { copyBytes: number; matmulSize: number } {
  if (gpu.adapter.isSwiftShader) return { copyBytes: (quick ? 32 : 128) << 20, matmulSize: 256 };
  const copyBytes = Math.min(1 << 30, Math.floor(gpu.limits.maxBufferSize / 2 / 256) * 256);
  return { copyBytes, matmulSize: quick ? 2048 : 4096 };
}

async function measureCopy(gpu: Gpu, bytes: number, repeats: number): Promise<CeilingResult['copy']> {
  const words = bytes / 4;
  const src = Tensor.empty(gpu, [words]);
  const dst = Tensor.empty(gpu, [words]);
  try {
    // A recognisable pattern in the last MiB (the part checked after the copy).
    const tail = Math.min(words, 1 << 18);
    const pattern = new Float32Array(tail).map((_, i) => i * 0.5 - 7);
    gpu.write(src.buffer, pattern, bytes - tail * 4);
    // Copies are not dispatches, so no timestamps: several per submit, wall time over the lot.
    const perSubmit = gpu.adapter.isSwiftShader ? 1 : 10;
    const record = (): void => {
      for (let i = 0; i < perSubmit; i++) gpu.copy(src.buffer, 0, dst.buffer, 0, bytes);
    };
    const timing = await timeRuns(gpu, record, { warmup: 1, repeats, method: 'wall-sync' });
    const back = await gpu.readF32(dst.buffer, tail, bytes - tail * 4);
    if (relError(back, pattern) !== 0) throw new Error('ceiling copy: the copied bytes differ from the source');
    const all = timing.all_ms.map((ms) => ms / perSubmit);
    return { bytes, median_ms: median(all), all_ms: all };
  } finally {
    src.release();
    dst.release();
  }
}

async function measureMatmuls(gpu: Gpu, size: number, repeats: number, method: TimingMethod): Promise<CeilingResult['matmul']> {
  const rng = new Rng(1234);
  const a = rng.array(size * size).map(Math.fround);
  const b = rng.array(size * size).map(Math.fround);
  const ta = Tensor.fromArray(gpu, a, [size, size]);
  const tb = Tensor.fromArray(gpu, b, [size, size]);
  const tc = Tensor.empty(gpu, [size, size]);
  const out: CeilingResult['matmul'] = [];
  try {
    // The lab's own probes write into tc; the engine's matmul variants return a pooled tensor.
    const probes: { name: string; run: () => Tensor | null }[] = [
      ...MATMUL_VARIANTS.map((v) => ({
        name: v.kernel.name,
        run: (): null => {
          gpu.dispatch(v.kernel, {
            uniforms: new Uint32Array([size, size, size, 0]),
            buffers: [ta.binding, tb.binding, tc.binding],
            workgroups: v.workgroups(size, size),
          });
          return null;
        },
      })),
      ...(['regs', 'tiled'] as const).map((variant) => ({
        name: `matmul.${variant} (engine)`,
        run: (): Tensor => gemm(gpu, ta, tb, { variant }),
      })),
    ];
    for (const v of probes) {
      const record = (): void => v.run()?.release();
      // Validation on 64 sampled entries (a full float64 product would dominate the run).
      fill(gpu, tc.buffer, NaN);
      gpu.poisonOnAcquire = true;
      let produced: Tensor | null;
      try {
        produced = v.run();
      } finally {
        gpu.poisonOnAcquire = false;
      }
      const c = await (produced ?? tc).toFloat32();
      produced?.release();
      const got: number[] = [];
      const want: number[] = [];
      for (let s = 0; s < 64; s++) {
        const i = rng.int(size);
        const j = rng.int(size);
        let sum = 0;
        for (let k = 0; k < size; k++) sum += a[i * size + k]! * b[k * size + j]!;
        got.push(c[i * size + j]!);
        want.push(sum);
      }
      // f32 accumulation over K terms of O(1) values: error grows like sqrt(K) * 2^-24 relative to
      // the largest |entry| (about sqrt(K/3)); 1e-4 leaves a wide margin at K <= 8192.
      const maxRelErr = relError(got, want);
      // The validation run above compiled the pipeline: it is the warm-up.
      const timing = await timeRuns(gpu, record, { warmup: 0, repeats, method });
      const flops = 2 * size * size * size;
      out.push({
        variant: v.name,
        size,
        median_ms: timing.median_ms,
        gflops: flops / (timing.median_ms * 1e6),
        maxRelErr,
        ok: maxRelErr <= 1e-4,
        method,
      });
    }
  } finally {
    ta.release();
    tb.release();
    tc.release();
  }
  return out;
}

export async function measureCeilings(gpu: Gpu, opts: CeilingOptions): Promise<CeilingResult> {
  const copy = await measureCopy(gpu, opts.copyBytes, opts.repeats);
  const matmul = await measureMatmuls(gpu, opts.matmulSize, opts.repeats, opts.method);
  const valid = matmul.filter((m) => m.ok);
  return {
    bandwidth_GBps: (2 * copy.bytes) / (copy.median_ms * 1e6),
    copy,
    gflops: valid.length ? Math.max(...valid.map((m) => m.gflops)) : NaN,
    matmul,
  };
}
