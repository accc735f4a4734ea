// conv2d speed lab: GFLOP/s of each pass at ResNet18's layer shapes (batch 8, 64x64 input).
// x: (N, C, H, W)  weight: (Cout, C, kh, kw)  y: (N, Cout, Ho, Wo), f32 NCHW.
// Run: node --import ./scripts/dev.mjs bench/conv2d-lab.ts [variant] [reps] [tm tn wg]
import { createNodeGpu } from '../src/gpu/node.js';
import { Tensor } from '../src/gpu/tensor.js';
import { Rng } from '../src/reference/random.js';
import {
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dOutputSize,
  conv2dVariant,
  type Conv2dOptions,
  type Conv2dVariant,
} from '../src/kernels/conv2d.js';

interface Layer {
  name: string;
  c: number;
  h: number;
  co: number;
  k: number;
  s: number;
  p: number;
}
const N = 8;
const LAYERS: Layer[] = [
  { name: 'conv1 7x7/2 3->64 64x64', c: 3, h: 64, co: 64, k: 7, s: 2, p: 3 },
  { name: 'layer1 3x3 64->64 16x16', c: 64, h: 16, co: 64, k: 3, s: 1, p: 1 },
  { name: 'layer2.0 3x3/2 64->128 16', c: 64, h: 16, co: 128, k: 3, s: 2, p: 1 },
  { name: 'layer2 3x3 128->128 8x8', c: 128, h: 8, co: 128, k: 3, s: 1, p: 1 },
  { name: 'layer2 ds 1x1/2 64->128', c: 64, h: 16, co: 128, k: 1, s: 2, p: 0 },
  { name: 'layer3.0 3x3/2 128->256 8', c: 128, h: 8, co: 256, k: 3, s: 2, p: 1 },
  { name: 'layer3 3x3 256->256 4x4', c: 256, h: 4, co: 256, k: 3, s: 1, p: 1 },
  { name: 'layer3 ds 1x1/2 128->256', c: 128, h: 8, co: 256, k: 1, s: 2, p: 0 },
  { name: 'layer4.0 3x3/2 256->512 4', c: 256, h: 4, co: 512, k: 3, s: 2, p: 1 },
  { name: 'layer4 3x3 512->512 2x2', c: 512, h: 2, co: 512, k: 3, s: 1, p: 1 },
  { name: 'layer4 ds 1x1/2 256->512', c: 256, h: 4, co: 512, k: 1, s: 2, p: 0 },
  // A plain matmul through the 1x1 path: (512 x 512) * (512 x 1024).
  { name: 'matmul 512x512x1024 (1x1)', c: 512, h: 32, co: 512, k: 1, s: 1, p: 0 },
];

const args = process.argv.slice(2);
const gpu = await createNodeGpu({ log: () => {} });
const opts: Conv2dOptions = {};
if (args[0] && args[0] !== 'default') opts.variant = args[0] as Conv2dVariant;
const reps = Number(args[1] ?? 3);
// LANES=n|m forces the direct kernel's layout (positions or output channels along the invocations).
if (process.env.LANES === 'n' || process.env.LANES === 'm') opts.lanes = process.env.LANES;
// BCAST=0 turns the subgroup broadcasts of the register kernels off.
if (process.env.BCAST) opts.bcast = process.env.BCAST === '1';
if (args[4]) opts.tile = { tm: Number(args[2]), tn: Number(args[3]), wg: Number(args[4]) };
const only = process.env.LAYERS ? new RegExp(process.env.LAYERS) : null;
// PASSES=f,d,g picks passes (forward, backward data, backward weight); the others print as 0.
const passes = new Set((process.env.PASSES ?? 'f,d,g').split(','));
console.log(`adapter: ${gpu.adapter.description}; variant ${conv2dVariant(gpu, opts)}${opts.tile ? ' tile ' + JSON.stringify(opts.tile) : ''}${opts.lanes ? ' lanes ' + opts.lanes : ''}${opts.bcast !== undefined ? ' bcast ' + opts.bcast : ''}; batch ${N}; ${reps} reps after a warm-up`);
const rng = new Rng(7);

// Wall time per run, and process CPU time per run: other engineers share the 2 cores, so
// CPU-seconds (SwiftShader's worker threads are in this process) are the steadier figure.
const cpuMs: number[] = [];
async function time(pass: string, run: () => Tensor): Promise<number> {
  if (!passes.has(pass)) {
    cpuMs.push(Infinity);
    return Infinity;
  }
  run().release();
  await gpu.sync();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run().release();
  await gpu.sync();
  const c = process.cpuUsage(c0);
  cpuMs.push((c.user + c.system) / 1000 / reps);
  return (performance.now() - t0) / reps;
}

let total = { flop: 0, ms: 0 };
console.log('layer                          fwd GF/s  (ms)    bwdData GF/s (ms)   bwdWeight GF/s (ms)');
for (const l of LAYERS) {
  if (only && !only.test(l.name)) continue;
  const p = { stride: l.s, padding: l.p };
  const [ho, wo] = conv2dOutputSize(l.h, l.h, l.k, l.k, p);
  const n = l.name.startsWith('matmul') ? 1 : N;
  const xShape = [n, l.c, l.h, l.h];
  const wShape = [l.co, l.c, l.k, l.k];
  const x = Tensor.fromArray(gpu, rng.array(n * l.c * l.h * l.h), xShape);
  const w = Tensor.fromArray(gpu, rng.array(l.co * l.c * l.k * l.k), wShape);
  const dy = Tensor.fromArray(gpu, rng.array(n * l.co * ho * wo), [n, l.co, ho, wo]);
  const flop = 2 * n * l.co * ho * wo * l.c * l.k * l.k;
  const f = await time('f', () => conv2dForward(gpu, x, w, null, p, opts));
  const d = await time('d', () => conv2dBackwardData(gpu, dy, w, xShape, p, opts));
  const g = await time('g', () => conv2dBackwardWeight(gpu, x, dy, wShape, p, opts));
  const gf = (ms: number) => (flop / ms / 1e6).toFixed(2).padStart(6);
  const [cf, cd, cg] = cpuMs.splice(0) as [number, number, number];
  console.log(
    `${l.name.padEnd(30)} ${gf(f)} ${f.toFixed(1).padStart(7)}   ${gf(d)} ${d.toFixed(1).padStart(7)}   ${gf(g)} ${g.toFixed(1).padStart(7)}` +
      `   | per CPU-s: ${gf(cf)} ${gf(cd)} ${gf(cg)}`,
  );
  if (!l.name.startsWith('matmul')) {
    total.flop += flop * (l.name.startsWith('conv1') ? 2 : 3);
    total.ms += f + (l.name.startsWith('conv1') ? 0 : d) + g;
  }
  x.release();
  w.release();
  dy.release();
}
console.log(`one of each layer (conv1 without dx): ${(total.flop / 1e9).toFixed(2)} GFLOP in ${total.ms.toFixed(0)} ms = ${(total.flop / total.ms / 1e6).toFixed(2)} GFLOP/s`);
gpu.destroy();
