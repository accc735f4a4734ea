// Float64 CPU reference for conv2d, the ground truth of the GPU kernels' tests.
// x: (N, C, H, W)  weight: (Cout, C, kh, kw)  bias: (Cout)  y: (N, Cout, Ho, Wo), NCHW, row-major.

export interface Conv2dRefParams {
  stride: number;
  padding: number;
}

export function conv2dOutputSizeRef(h: number, w: number, kh: number, kw: number, p: Conv2dRefParams): [number, number] {
  return [Math.floor((h + 2 * p.padding - kh) / p.stride) + 1, Math.floor((w + 2 * p.padding - kw) / p.stride) + 1];
}

/** y[n, o, i, j] = bias[o] + sum_{c, u, v} x[n, c, i*s - p + u, j*s - p + v] * w[o, c, u, v] (zero padding). */
export function conv2dForwardRef(
  x: Float64Array,
  xShape: readonly number[],
  w: Float64Array,
  wShape: readonly number[],
  bias: Float64Array | null,
  p: Conv2dRefParams,
): Float64Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [Co, , kh, kw] = wShape as [number, number, number, number];
  const [Ho, Wo] = conv2dOutputSizeRef(H, W, kh, kw, p);
  const y = new Float64Array(N * Co * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Co; o++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          let s = bias ? bias[o]! : 0;
          for (let c = 0; c < C; c++)
            for (let u = 0; u < kh; u++) {
              const hi = i * p.stride - p.padding + u;
              if (hi < 0 || hi >= H) continue;
              for (let v = 0; v < kw; v++) {
                const wi = j * p.stride - p.padding + v;
                if (wi < 0 || wi >= W) continue;
                s += x[((n * C + c) * H + hi) * W + wi]! * w[((o * C + c) * kh + u) * kw + v]!;
              }
            }
          y[((n * Co + o) * Ho + i) * Wo + j] = s;
        }
  return y;
}

/** dx = d(sum(y * dy))/dx: every x element collects dy times the weight that multiplied it. */
export function conv2dBackwardDataRef(
  dy: Float64Array,
  w: Float64Array,
  wShape: readonly number[],
  xShape: readonly number[],
  p: Conv2dRefParams,
): Float64Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [Co, , kh, kw] = wShape as [number, number, number, number];
  const [Ho, Wo] = conv2dOutputSizeRef(H, W, kh, kw, p);
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Co; o++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          const g = dy[((n * Co + o) * Ho + i) * Wo + j]!;
          for (let c = 0; c < C; c++)
            for (let u = 0; u < kh; u++) {
              const hi = i * p.stride - p.padding + u;
              if (hi < 0 || hi >= H) continue;
              for (let v = 0; v < kw; v++) {
                const wi = j * p.stride - p.padding + v;
                if (wi < 0 || wi >= W) continue;
                dx[((n * C + c) * H + hi) * W + wi]! += g * w[((o * C + c) * kh + u) * kw + v]!;
              }
            }
        }
  return dx;
}

/** dw = d(sum(y * dy))/dw. */
export function conv2dBackwardWeightRef(
  x: Float64Array,
  xShape: readonly number[],
  dy: Float64Array,
  wShape: readonly number[],
  p: Conv2dRefParams,
): Float64Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [Co, , kh, kw] = wShape as [number, number, number, number];
  const [Ho, Wo] = conv2dOutputSizeRef(H, W, kh, kw, p);
  const dw = new Float64Array(Co * C * kh * kw);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Co; o++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          const g = dy[((n * Co + o) * Ho + i) * Wo + j]!;
          for (let c = 0; c < C; c++)
            for (let u = 0; u < kh; u++) {
              const hi = i * p.stride - p.padding + u;
              if (hi < 0 || hi >= H) continue;
              for (let v = 0; v < kw; v++) {
                const wi = j * p.stride - p.padding + v;
                if (wi < 0 || wi >= W) continue;
                dw[((o * C + c) * kh + u) * kw + v]! += g * x[((n * C + c) * H + hi) * W + wi]!;
              }
            }
        }
  return dw;
}

/** dbias[o] = sum over n, i, j of dy[n, o, i, j]. */
export function conv2dBackwardBiasRef(dy: Float64Array, dyShape: readonly number[]): Float64Array {
  const [N, Co, Ho, Wo] = dyShape as [number, number, number, number];
  const db = new Float64Array(Co);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Co; o++) {
      let s = 0;
      const base = (n * Co + o) * Ho * Wo;
      for (let q = 0; q < Ho * Wo; q++) s += dy[base + q]!;
      db[o]! += s;
    }
  return db;
}
