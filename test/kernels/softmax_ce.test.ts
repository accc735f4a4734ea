// Fused softmax + cross-entropy (class weights, label smoothing, cost matrix) against the
// float64 reference; the reference's gradient against finite differences.
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '../../src/kernels/softmax_ce.js';
import * as ref from '../../src/reference/softmax_ce.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { relError } from '../helpers/compare.js';
import { numericalGradient } from '../helpers/fd.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const rng = new Rng(seed);
const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;

// Loss 1e-4: f32 exp/log per class and a sum over rows, ~1e-6. Gradient 1e-3: p_j - [j = y]
// terms in f32, ~1e-6 relative to the largest gradient entry.
const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

type Opts = { weights: boolean; smoothing: number; cost: boolean };
const VARIANTS: Opts[] = [
  { weights: false, smoothing: 0, cost: false },
  { weights: true, smoothing: 0, cost: false },
  { weights: false, smoothing: 0.1, cost: false },
  { weights: true, smoothing: 0.2, cost: false },
  { weights: false, smoothing: 0, cost: true },
  { weights: true, smoothing: 0.1, cost: true },
];

function make(N: number, K: number, o: Opts) {
  const logits = f32(rng.array(N * K, -4, 4));
  const labels = Int32Array.from({ length: N }, () => rng.int(K));
  const weights = o.weights ? f32(rng.array(K, 0.2, 3)) : null;
  // Costs only off the diagonal: a right answer costs nothing.
  const cost = o.cost ? f32(Float64Array.from({ length: K * K }, (_, i) => (Math.floor(i / K) === i % K ? 0 : rng.uniform(0, 2)))) : null;
  return { logits, labels, weights, cost };
}

describe('softmax_ce reference', () => {
  for (const o of VARIANTS) {
    it(`gradient matches finite differences ${JSON.stringify(o)}`, () => {
      const [N, K] = [3, 5];
      const { logits, labels, weights, cost } = make(N, K, o);
      const opts = { classWeights: weights, labelSmoothing: o.smoothing, costMatrix: cost };
      const r = ref.softmaxCrossEntropy(logits, labels, N, K, opts);
      const fd = numericalGradient((v) => Float64Array.of(ref.softmaxCrossEntropy(v, labels, N, K, opts).loss), logits, Float64Array.of(1));
      expect(relError(r.dlogits, fd), why('dlogits')).toBeLessThan(1e-6);
    });
  }
  it('equals plain cross-entropy by hand for one row', () => {
    // logits (0, ln 3): p = (1/4, 3/4); label 1: loss = -ln(3/4).
    const r = ref.softmaxCrossEntropy([0, Math.log(3)], [1], 1, 2);
    expect(r.loss).toBeCloseTo(-Math.log(0.75), 12);
  });
});

describe('softmax_ce kernels vs reference', () => {
  for (const [N, K] of [[1, 3], [3, 44], [37, 7], [64, 44]] as const) {
    it(`loss and dlogits N=${N} K=${K}, all option combinations`, async () => {
      const g = gpu();
      for (const o of VARIANTS) {
        const { logits, labels, weights, cost } = make(N, K, o);
        const r = ref.softmaxCrossEntropy(logits, labels, N, K, { classWeights: weights, labelSmoothing: o.smoothing, costMatrix: cost });
        const tl = Tensor.fromArray(g, logits, [N, K]);
        const ty = Tensor.fromArray(g, labels, [N], 'i32');
        const tw = weights ? Tensor.fromArray(g, weights, [K]) : null;
        const tc = cost ? Tensor.fromArray(g, cost, [K, K]) : null;
        const out = softmaxCrossEntropy(g, tl, ty, { classWeights: tw, labelSmoothing: o.smoothing, costMatrix: tc });
        expect(out.loss.shape).toEqual([1]);
        expect(relError(await out.loss.toArray(), [r.loss]), why(`loss ${JSON.stringify(o)}`)).toBeLessThan(FWD_TOL);
        expect(relError(await out.dlogits.toArray(), r.dlogits), why(`dlogits ${JSON.stringify(o)}`)).toBeLessThan(GRAD_TOL);
        for (const t of [tl, ty, tw, tc, out.loss, out.dlogits]) t?.release();
      }
    });
  }
  it('is stable for large logits', async () => {
    const g = gpu();
    const logits = [1000, 0, -1000, 999];
    const tl = Tensor.fromArray(g, logits, [1, 4]);
    const ty = Tensor.fromArray(g, [3], [1], 'i32');
    const out = softmaxCrossEntropy(g, tl, ty);
    const r = ref.softmaxCrossEntropy(logits, [3], 1, 4);
    expect(relError(await out.loss.toArray(), [r.loss])).toBeLessThan(FWD_TOL);
    expect(relError(await out.dlogits.toArray(), r.dlogits)).toBeLessThan(GRAD_TOL);
    for (const t of [tl, ty, out.loss, out.dlogits]) t.release();
  });
});
