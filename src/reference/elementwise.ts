// Float64 references for the elementwise ops. Arrays are flat, any shape.
export function relu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 || Number.isNaN(v) ? v : 0));
}
/** dx = dy * (y > 0), y being the ReLU's output. */
export function reluBackward(dy: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  return Float64Array.from(dy, (g, i) => (y[i]! > 0 ? g : 0));
}
export function add(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]!);
}
export function scale(x: ArrayLike<number>, s: number): Float64Array {
  return Float64Array.from(x, (v) => v * s);
}
