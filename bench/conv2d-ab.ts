// conv2d A/B: times one pass under several Conv2dOptions, alternating them in one process so that
// every configuration sees the same machine load; reports the minimum and median per option.
// x: (N, C, H, H)  weight: (Cout, C, k, k), padding (k - 1) / 2 (0 for 1x1).
// Run: node --import ./scripts/dev.mjs bench/conv2d-ab.ts f|d|g N,C,H,Cout,k,stride '{}' '{"bcast":false}' ...
//   (f forward, d backward to the input, g backward to the weight; REPS=n rounds, default 8)
import { createNodeGpu } from '../src/gpu/node.js';
import { Tensor } from '../src/gpu/tensor.js';
import { Rng } from '../src/reference/random.js';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward, conv2dOutputSize, type Conv2dOptions } from '../src/kernels/conv2d.js';
const gpu = await createNodeGpu({ log: () => {} });
const [pass, shape, ...cfgs] = process.argv.slice(2) as [string, string, ...string[]];
const [n, c, h, co, k, s] = shape.split(',').map(Number) as number[];
const p = { stride: s, padding: k === 1 ? 0 : (k - 1) / 2 };
const [ho, wo] = conv2dOutputSize(h, h, k, k, p);
const rng = new Rng(5);
const x = Tensor.fromArray(gpu, rng.array(n * c * h * h), [n, c, h, h]);
const w = Tensor.fromArray(gpu, rng.array(co * c * k * k), [co, c, k, k]);
const dy = Tensor.fromArray(gpu, rng.array(n * co * ho * wo), [n, co, ho, wo]);
const flop = 2 * n * co * ho * wo * c * k * k;
const opts: Conv2dOptions[] = cfgs.map((t) => JSON.parse(t));
const run = (o: Conv2dOptions) => pass === 'f' ? conv2dForward(gpu, x, w, null, p, o) : pass === 'd' ? conv2dBackwardData(gpu, dy, w, [n, c, h, h], p, o) : conv2dBackwardWeight(gpu, x, dy, [co, c, k, k], p, o);
const times: number[][] = opts.map(() => []);
for (const o of opts) { run(o).release(); await gpu.sync(); }
for (let r = 0; r < Number(process.env.REPS ?? 8); r++)
  for (let i = 0; i < opts.length; i++) {
    const t0 = performance.now(); run(opts[i]!).release(); await gpu.sync(); times[i]!.push(performance.now() - t0);
  }
for (let i = 0; i < opts.length; i++) {
  const t = times[i]!.sort((a, b) => a - b);
  console.log(`${pass} ${shape} ${cfgs[i]!.padEnd(50)} min ${t[0]!.toFixed(1)} ms (${(flop / t[0]! / 1e6).toFixed(2)} GF/s)  median ${t[t.length >> 1]!.toFixed(1)}`);
}
gpu.destroy(); process.exit(0);
