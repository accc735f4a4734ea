// Float64 reference for batch normalisation (PyTorch BatchNorm2d semantics), optionally followed
// by ReLU. x, y, dy, dx: (N, C, H, W); weight, bias, running stats, saved stats: (C).
export interface BatchNormRefParams {
  eps: number;
  momentum: number;
  relu?: boolean;
}

export interface BatchNormTrainRef {
  y: Float64Array;
  saveMean: Float64Array;
  saveInvstd: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

/** Training mode: batch statistics (biased variance normalises, unbiased updates running var). */
export function batchnormTrainForward(
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  p: BatchNormRefParams,
): BatchNormTrainRef {
  const [N, C, H, W] = shape as [number, number, number, number];
  const HW = H * W;
  const M = N * HW;
  const saveMean = new Float64Array(C);
  const saveInvstd = new Float64Array(C);
  const rm = Float64Array.from(runningMean);
  const rv = Float64Array.from(runningVar);
  const y = new Float64Array(N * C * HW);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) s += x[(n * C + c) * HW + i]!;
    const mean = s / M;
    let q = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) q += (x[(n * C + c) * HW + i]! - mean) ** 2;
    const variance = q / M;
    const invstd = 1 / Math.sqrt(variance + p.eps);
    saveMean[c] = mean;
    saveInvstd[c] = invstd;
    rm[c] = (1 - p.momentum) * rm[c]! + p.momentum * mean;
    rv[c] = (1 - p.momentum) * rv[c]! + p.momentum * (q / (M - 1));
    for (let n = 0; n < N; n++)
      for (let i = 0; i < HW; i++) {
        const k = (n * C + c) * HW + i;
        const v = (x[k]! - mean) * invstd * weight[c]! + bias[c]!;
        y[k] = p.relu ? Math.max(v, 0) : v;
      }
  }
  return { y, saveMean, saveInvstd, runningMean: rm, runningVar: rv };
}

export function batchnormEvalForward(
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  p: BatchNormRefParams,
): Float64Array {
  const [N, C, H, W] = shape as [number, number, number, number];
  const HW = H * W;
  const y = new Float64Array(N * C * HW);
  for (let k = 0; k < y.length; k++) {
    const c = Math.floor(k / HW) % C;
    const v = ((x[k]! - runningMean[c]!) / Math.sqrt(runningVar[c]! + p.eps)) * weight[c]! + bias[c]!;
    y[k] = p.relu ? Math.max(v, 0) : v;
  }
  void N;
  return y;
}

/**
 * Backward of training-mode batchnorm (plus ReLU when `y`, the fused output, is given: dy is
 * masked by y > 0 first).
 */
export function batchnormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number>,
  saveMean: ArrayLike<number>,
  saveInvstd: ArrayLike<number>,
  y: ArrayLike<number> | null,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const [N, C, H, W] = shape as [number, number, number, number];
  const HW = H * W;
  const M = N * HW;
  const dx = new Float64Array(N * C * HW);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  const g = (k: number): number => (y && !(y[k]! > 0) ? 0 : dy[k]!);
  for (let c = 0; c < C; c++) {
    let sg = 0;
    let sgx = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < HW; i++) {
        const k = (n * C + c) * HW + i;
        sg += g(k);
        sgx += g(k) * (x[k]! - saveMean[c]!) * saveInvstd[c]!;
      }
    dbias[c] = sg;
    dweight[c] = sgx;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < HW; i++) {
        const k = (n * C + c) * HW + i;
        const xhat = (x[k]! - saveMean[c]!) * saveInvstd[c]!;
        dx[k] = weight[c]! * saveInvstd[c]! * (g(k) - sg / M - (xhat * sgx) / M);
      }
  }
  return { dx, dweight, dbias };
}
