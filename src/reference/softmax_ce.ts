// Float64 reference for fused softmax + cross-entropy (torch.nn.CrossEntropyLoss, mean
// reduction), with class weights, label smoothing, and an expected-cost term.
// logits, dlogits: (N, K); labels: (N); classWeights: (K); costMatrix: (K, K), row = true class.
export interface CrossEntropyRefOptions {
  classWeights?: ArrayLike<number> | null;
  labelSmoothing?: number;
  costMatrix?: ArrayLike<number> | null;
}

/**
 * loss = sum_i [(1-e) w_{y_i} (-log p_{i,y_i}) + e/K sum_k w_k (-log p_ik)] / sum_i w_{y_i}
 *      + (1/N) sum_i sum_k p_ik C[y_i, k]
 */
export function softmaxCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  N: number,
  K: number,
  opts: CrossEntropyRefOptions = {},
): { loss: number; dlogits: Float64Array } {
  const e = opts.labelSmoothing ?? 0;
  const w = (k: number): number => (opts.classWeights ? opts.classWeights[k]! : 1);
  let sumW = 0;
  for (let k = 0; k < K; k++) sumW += w(k);
  let denom = 0;
  for (let i = 0; i < N; i++) denom += w(labels[i]!);
  let ceSum = 0;
  let costSum = 0;
  const dlogits = new Float64Array(N * K);
  const p = new Float64Array(K);
  const logp = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const y = labels[i]!;
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(logits[i * K + k]! - mx);
    for (let k = 0; k < K; k++) {
      logp[k] = logits[i * K + k]! - mx - Math.log(z);
      p[k] = Math.exp(logp[k]!);
    }
    let smooth = 0;
    for (let k = 0; k < K; k++) smooth += -w(k) * logp[k]!;
    ceSum += (1 - e) * w(y) * -logp[y]! + (e / K) * smooth;
    let expCost = 0;
    if (opts.costMatrix) for (let k = 0; k < K; k++) expCost += p[k]! * opts.costMatrix[y * K + k]!;
    costSum += expCost;
    for (let k = 0; k < K; k++) {
      let g = (p[k]! * ((1 - e) * w(y) + (e / K) * sumW) - (k === y ? (1 - e) * w(y) : 0) - (e / K) * w(k)) / denom;
      if (opts.costMatrix) g += (p[k]! * (opts.costMatrix[y * K + k]! - expCost)) / N;
      dlogits[i * K + k] = g;
    }
  }
  return { loss: ceSum / denom + costSum / N, dlogits };
}
