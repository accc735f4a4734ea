// Float64 reference for a fully connected layer. x, dx: (N, in); weight, dweight: (out, in);
// bias, dbias: (out); y, dy: (N, out).
import { matmul } from './matmul.js';

export function linearForward(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number> | null, N: number, inF: number, outF: number): Float64Array {
  const y = matmul(x, weight, N, outF, inF, { transB: true });
  if (bias) for (let k = 0; k < y.length; k++) y[k]! += bias[k % outF]!;
  return y;
}
export function linearBackwardData(dy: ArrayLike<number>, weight: ArrayLike<number>, N: number, inF: number, outF: number): Float64Array {
  return matmul(dy, weight, N, inF, outF);
}
export function linearBackwardWeight(x: ArrayLike<number>, dy: ArrayLike<number>, N: number, inF: number, outF: number): Float64Array {
  return matmul(dy, x, outF, inF, N, { transA: true });
}
export function linearBackwardBias(dy: ArrayLike<number>, N: number, outF: number): Float64Array {
  const db = new Float64Array(outF);
  for (let k = 0; k < N * outF; k++) db[k % outF]! += dy[k]!;
  return db;
}
