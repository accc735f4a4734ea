// Float64 reference for global average pooling. x, dx: (N, C, H, W); y, dy: (N, C).
export function globalAvgPoolForward(x: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const [N, C, H, W] = shape as [number, number, number, number];
  const HW = H * W;
  const y = new Float64Array(N * C);
  for (let p = 0; p < N * C; p++) {
    let s = 0;
    for (let i = 0; i < HW; i++) s += x[p * HW + i]!;
    y[p] = s / HW;
  }
  return y;
}

export function globalAvgPoolBackward(dy: ArrayLike<number>, xShape: readonly number[]): Float64Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const HW = H * W;
  const dx = new Float64Array(N * C * HW);
  for (let k = 0; k < dx.length; k++) dx[k] = dy[Math.floor(k / HW)]! / HW;
  return dx;
}
