// Loss settings built from the data: class weights (inverse frequency, sklearn's "balanced") and
// the cost matrix of the tumour-to-Normal penalty. Host arrays; the run uploads them once.
// classWeights: (K); costMatrix: (K, K), row = true label, column = predicted label.

/** w_c = N / (K * n_c) over the labels present; labels absent from training get weight 1. */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): Float32Array {
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const present = counts.filter((c) => c > 0).length;
  const w = new Float32Array(numClasses);
  for (let c = 0; c < numClasses; c++) w[c] = counts[c]! > 0 ? labels.length / (present * counts[c]!) : 1;
  return w;
}

/**
 * C[t, n] = penalty for every tumour label t and Normal label n, zero elsewhere: the loss adds
 * penalty x P(Normal | tumour image), so the model pays extra for calling a tumour Normal.
 */
export function tumourNormalCostMatrix(numClasses: number, normalLabels: readonly number[], penalty: number): Float32Array {
  const c = new Float32Array(numClasses * numClasses);
  const normal = new Set(normalLabels);
  for (let t = 0; t < numClasses; t++) {
    if (normal.has(t)) continue;
    for (const n of normal) c[t * numClasses + n] = penalty;
  }
  return c;
}
