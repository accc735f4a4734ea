// Eval-mode affine coefficients from running statistics.
// weight, bias, runningMean, runningVar: (C); coef: (3, C) = (mean, scale, bias).
struct Params {
  c: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> runningMean: array<f32>;
@group(0) @binding(4) var<storage, read> runningVar: array<f32>;
@group(0) @binding(5) var<storage, read_write> coef: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= params.c) {
    return;
  }
  coef[c] = runningMean[c];
  coef[params.c + c] = weight[c] / sqrt(runningVar[c] + params.eps);
  coef[2u * params.c + c] = bias[c];
}
