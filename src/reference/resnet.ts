// Seeded ResNet18 weights that PyTorch can reproduce without our code: every value is one draw of
// the mulberry32 stream (src/reference/random.ts) in state_dict order, uniform in a per-kind range,
// computed in float64 as lo + (hi - lo) * u and rounded to f32. scripts/fixtures/
// make_parity_fixtures.py draws the same numbers (vectorised: draw k depends only on seed and k),
// so a full-width model needs no stored weights.
//   conv weight (Cout, Cin, kh, kw): +-sqrt(6 / (Cout kh kw))  (kaiming, fan_out, relu scale)
//   linear weight (out, in) and bias: +-1 / sqrt(in)
//   BN weight [0.5, 1.5), bias [-0.2, 0.2), running_mean [-0.1, 0.1), running_var [0.5, 1.5)
import { Rng } from './random.js';

export interface NamedShape {
  name: string;
  shape: readonly number[];
}

/** [lo, hi) for one state_dict entry, by name and shape; null for num_batches_tracked. */
export function seededRange(e: NamedShape, linearIn: (name: string) => number): [number, number] | null {
  const n = e.name;
  if (n.endsWith('num_batches_tracked')) return null;
  if (e.shape.length === 4) {
    const b = Math.sqrt(6 / (e.shape[0]! * e.shape[2]! * e.shape[3]!));
    return [-b, b];
  }
  if (n.endsWith('running_mean')) return [-0.1, 0.1];
  if (n.endsWith('running_var')) return [0.5, 1.5];
  const isBn = /(^|\.)bn\d\.|downsample\.1\./.test(n);
  if (isBn && n.endsWith('.weight')) return [0.5, 1.5];
  if (isBn && n.endsWith('.bias')) return [-0.2, 0.2];
  const b = 1 / Math.sqrt(linearIn(n));
  return [-b, b];
}

export function seededResNet18State(entries: readonly NamedShape[], seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const shapes = new Map(entries.map((e) => [e.name, e.shape]));
  // A linear layer's bias takes its range from the weight's fan-in.
  const linearIn = (name: string): number => shapes.get(name.replace(/bias$/, 'weight'))![1]!;
  const out = new Map<string, Float32Array>();
  for (const e of entries) {
    const range = seededRange(e, linearIn);
    if (!range) continue;
    const [lo, hi] = range;
    const n = e.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.uniform(lo, hi);
    out.set(e.name, v);
  }
  return out;
}
