// Central finite differences in float64, to check the references' backward rules.

/**
 * Numerical gradient of sum(f(x) * upstream) with respect to x. `f` must be a pure float64
 * function of x (it is called with x perturbed in place, then restored).
 */
export function numericalGradient(f: (x: Float64Array) => Float64Array, x: Float64Array, upstream: Float64Array, h = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + h;
    const plus = f(x);
    x[i] = saved - h;
    const minus = f(x);
    x[i] = saved;
    let s = 0;
    for (let j = 0; j < upstream.length; j++) s += (plus[j]! - minus[j]!) * upstream[j]!;
    grad[i] = s / (2 * h);
  }
  return grad;
}
