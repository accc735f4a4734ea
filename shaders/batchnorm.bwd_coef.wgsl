// Backward per channel: dbias = sum g, dweight = sum g * xhat, and coefficients so that
// dx = k1 * g + k2 * (x - mean) + k3 (k1 = w * invstd, k2 = -k1 * invstd * dweight / M,
// k3 = -k1 * dbias / M). partial: (N, C, 2); weight, saveMean, saveInvstd, dweight, dbias: (C);
// coef: (4, C) = (mean, k1, k2, k3).
struct Params {
  n: u32,
  c: u32,
  count: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> saveMean: array<f32>;
@group(0) @binding(4) var<storage, read> saveInvstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(7) var<storage, read_write> coef: array<f32>;

#include "batchnorm_channel_sums"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= params.c) {
    return;
  }
  let sums = channelSums(c);
  let sg = sums.x;
  let sgx = sums.y;
  dbias[c] = sg;
  dweight[c] = sgx;
  let inv = saveInvstd[c];
  let k1 = weight[c] * inv;
  let k2 = -k1 * inv * sgx / params.count;
  coef[c] = saveMean[c];
  coef[params.c + c] = k1;
  coef[2u * params.c + c] = k2;
  coef[3u * params.c + c] = -k1 * sg / params.count;
}
