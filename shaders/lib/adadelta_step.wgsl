// adadelta_step: one torch.optim.Adadelta step of four parameters, shared by the dense update
// (adadelta.wgsl) and the strided one (adadelta_runs.wgsl) so that both do the same arithmetic,
// operation for operation (the deferred decays are bit-identical to the eager update only so).
// The including shader's `params` has lr, rho, oneMinusRho, eps and weightDecay.
//   g += wd * p;  v = rho*v + (1-rho)*g^2;  d = sqrt(u+eps)/sqrt(v+eps)*g;  u = rho*u + (1-rho)*d^2;  p -= lr*d
struct AdadeltaStep {
  p: vec4f,
  v: vec4f,
  u: vec4f,
}

fn adadeltaStep(p: vec4f, g: vec4f, v: vec4f, u: vec4f) -> AdadeltaStep {
  let gi = g + params.weightDecay * p;
  let vi = params.rho * v + params.oneMinusRho * gi * gi;
  let d = sqrt(u + params.eps) / sqrt(vi + params.eps) * gi;
  return AdadeltaStep(p - params.lr * d, vi, params.rho * u + params.oneMinusRho * d * d);
}
