// Finishes training-mode statistics per channel: corrected two-pass variance, saved stats,
// running-stat update (unbiased variance, as PyTorch), and the affine coefficients for `apply`.
// partial: (N, C, 2) sums of (x - mean0) and (x - mean0)^2; weight, bias, runningMean,
// runningVar, saveMean (holds mean0 on entry), saveInvstd: (C); coef: (3, C) = (mean, scale, bias).
struct Params {
  n: u32,
  c: u32,
  count: f32,
  eps: f32,
  momentum: f32,
  unbias: f32,  // count / (count - 1)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningVar: array<f32>;
@group(0) @binding(6) var<storage, read_write> saveMean: array<f32>;
@group(0) @binding(7) var<storage, read_write> saveInvstd: array<f32>;
@group(0) @binding(8) var<storage, read_write> coef: array<f32>;

#include "batchnorm_channel_sums"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= params.c) {
    return;
  }
  // (sum (x - mean0), sum (x - mean0)^2): the first is the rounding left over from pass one;
  // subtracting its square corrects the variance.
  let s = channelSums(c);
  let d = s.x / params.count;
  let variance = max(s.y / params.count - d * d, 0.0);
  let mean = saveMean[c] + d;
  let invstd = 1.0 / sqrt(variance + params.eps);
  saveMean[c] = mean;
  saveInvstd[c] = invstd;
  runningMean[c] = (1.0 - params.momentum) * runningMean[c] + params.momentum * mean;
  runningVar[c] = (1.0 - params.momentum) * runningVar[c] + params.momentum * variance * params.unbias;
  coef[c] = mean;
  coef[params.c + c] = weight[c] * invstd;
  coef[2u * params.c + c] = bias[c];
}
