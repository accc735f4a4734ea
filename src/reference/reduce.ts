// Float64 references for reductions. x: any shape; rows: (N, K); channelSum x: (N, C, H, W) or
// (N, C) -> (C); confusion counts: (K, K) with row = true label, column = prediction.
export function argmaxRows(x: ArrayLike<number>, N: number, K: number): Int32Array {
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = -Infinity;
    let at = 0;
    for (let k = 0; k < K; k++) {
      const v = x[i * K + k]!;
      // First maximum wins; a NaN is the maximum (the first NaN), as torch.argmax.
      if (Number.isNaN(v)) {
        at = k;
        break;
      }
      if (v > best) {
        best = v;
        at = k;
      }
    }
    out[i] = at;
  }
  return out;
}

export function confusionCounts(predictions: ArrayLike<number>, labels: ArrayLike<number>, K: number): Uint32Array {
  const out = new Uint32Array(K * K);
  for (let i = 0; i < labels.length; i++) out[labels[i]! * K + predictions[i]!]!++;
  return out;
}

export function sumAll(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

export function channelSum(x: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const C = shape[1]!;
  const HW = shape.length === 4 ? shape[2]! * shape[3]! : 1;
  const out = new Float64Array(C);
  for (let k = 0; k < x.length; k++) out[Math.floor(k / HW) % C]! += x[k]!;
  return out;
}
