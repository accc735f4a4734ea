// Float64 references of the optimisers, written as torch.optim 1.13 defines them (per element).
// p, g and state: (n) flat, updated in place. mask (optional): one entry per `block` elements,
// 0 = frozen (left untouched). Checked against PyTorch's own float64 updates in the fixtures.

export interface AdadeltaOpts { lr: number; rho: number; eps: number; weightDecay: number }
export interface SgdOpts { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }
export interface AdamWOpts { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

export const ADADELTA_DEFAULTS: AdadeltaOpts = { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 };
export const SGD_DEFAULTS: SgdOpts = { lr: 0.01, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };
export const ADAMW_DEFAULTS: AdamWOpts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 };

type Mask = ArrayLike<number> | null;
const live = (mask: Mask, block: number, i: number): boolean => !mask || mask[Math.floor(i / block)] !== 0;

export function adadeltaReference(p: Float64Array, g: ArrayLike<number>, v: Float64Array, u: Float64Array, o: AdadeltaOpts, mask: Mask = null, block = 64): void {
  for (let i = 0; i < p.length; i++) {
    if (!live(mask, block, i)) continue;
    const gi = g[i]! + o.weightDecay * p[i]!;
    v[i] = o.rho * v[i]! + (1 - o.rho) * gi * gi;
    const d = (Math.sqrt(u[i]! + o.eps) / Math.sqrt(v[i]! + o.eps)) * gi;
    u[i] = o.rho * u[i]! + (1 - o.rho) * d * d;
    p[i] = p[i]! - o.lr * d;
  }
}

/** `first`: the optimiser's first step, when torch sets the momentum buffer to the gradient. */
export function sgdReference(p: Float64Array, g: ArrayLike<number>, buf: Float64Array | null, o: SgdOpts, first: boolean, mask: Mask = null, block = 64): void {
  for (let i = 0; i < p.length; i++) {
    if (!live(mask, block, i)) continue;
    let d = g[i]! + o.weightDecay * p[i]!;
    if (o.momentum !== 0) {
      const b = first ? d : o.momentum * buf![i]! + (1 - o.dampening) * d;
      buf![i] = b;
      d = o.nesterov ? d + o.momentum * b : b;
    }
    p[i] = p[i]! - o.lr * d;
  }
}

/** `step` is 1-based, as torch counts it. */
export function adamwReference(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, o: AdamWOpts, step: number, mask: Mask = null, block = 64): void {
  const bc1 = 1 - o.beta1 ** step;
  const bc2 = 1 - o.beta2 ** step;
  for (let i = 0; i < p.length; i++) {
    if (!live(mask, block, i)) continue;
    const gi = g[i]!;
    p[i] = p[i]! * (1 - o.lr * o.weightDecay);
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps;
    p[i] = p[i]! - (o.lr / bc1) * (m[i]! / denom);
  }
}
