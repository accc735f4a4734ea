// Float64 reference for 2-D max pooling (PyTorch MaxPool2d, ceil_mode off, dilation 1).
// x, dx: (N, C, H, W); y, argmax, dy: (N, C, Ho, Wo); argmax is the flat index h * W + w.
export interface MaxPoolRefParams {
  kernel: number;
  stride: number;
  padding: number;
}

export function maxpoolOutSize(size: number, p: MaxPoolRefParams): number {
  return Math.floor((size + 2 * p.padding - p.kernel) / p.stride) + 1;
}

/** First maximum in scan order wins; a NaN counts as larger than anything (the last NaN wins). */
export function maxpool2dForward(x: ArrayLike<number>, shape: readonly number[], p: MaxPoolRefParams): { y: Float64Array; argmax: Int32Array } {
  const [N, C, H, W] = shape as [number, number, number, number];
  const Ho = maxpoolOutSize(H, p);
  const Wo = maxpoolOutSize(W, p);
  const y = new Float64Array(N * C * Ho * Wo);
  const argmax = new Int32Array(y.length);
  for (let nc = 0; nc < N * C; nc++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++) {
        const h0 = oh * p.stride - p.padding;
        const w0 = ow * p.stride - p.padding;
        const hs = Math.max(h0, 0);
        const ws = Math.max(w0, 0);
        let best = -Infinity;
        let at = hs * W + ws;
        for (let h = hs; h < Math.min(h0 + p.kernel, H); h++)
          for (let w = ws; w < Math.min(w0 + p.kernel, W); w++) {
            const v = x[nc * H * W + h * W + w]!;
            if (v > best || Number.isNaN(v)) {
              best = v;
              at = h * W + w;
            }
          }
        y[(nc * Ho + oh) * Wo + ow] = best;
        argmax[(nc * Ho + oh) * Wo + ow] = at;
      }
  return { y, argmax };
}

export function maxpool2dBackward(dy: ArrayLike<number>, argmax: ArrayLike<number>, xShape: readonly number[], p: MaxPoolRefParams): Float64Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const Ho = maxpoolOutSize(H, p);
  const Wo = maxpoolOutSize(W, p);
  const dx = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++)
    for (let o = 0; o < Ho * Wo; o++) dx[nc * H * W + argmax[nc * Ho * Wo + o]!]! += dy[nc * Ho * Wo + o]!;
  return dx;
}
