// Float64 reference for C = op(A) @ op(B). A: (M, K), or (K, M) when transA; B: (K, N), or
// (N, K) when transB; C: (M, N).
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  N: number,
  K: number,
  opts: { transA?: boolean; transB?: boolean } = {},
): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[opts.transA ? k * M + m : m * K + k]! * b[opts.transB ? n * K + k : k * N + n]!;
      c[m * N + n] = s;
    }
  return c;
}
