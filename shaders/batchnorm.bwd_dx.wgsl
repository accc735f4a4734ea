// dx = k1[c] * g + k2[c] * (x - mean[c]) + k3[c], g = dy (masked by y > 0 when RELU = 1), over a batch chunk.
// dy, x, y, dx: (nb, C, H, W) from element params.off (all share it: same shape, aligned starts);
// coef: (4, C) = (mean, k1, k2, k3).
// main: grid (ceil(H*W / 64), C, nb), the channel is the workgroup's y, so no per-element division;
// flat (planes under 64 elements): one invocation per element, as in batchnorm.apply.wgsl.
struct Params {
  hw: u32,
  c: u32,
  off: u32,
  count: u32, // nb * C * H * W, for flat
}

@group(0) @binding(0) var<uniform> params: Params;
// RELU, dy @1, x @2, y @3, grad(k):
#include "batchnorm_bwd_inputs"
@group(0) @binding(4) var<storage, read> coef: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = wid.x * 64u + lid;
  if (p >= params.hw) {
    return;
  }
  let c = wid.y;
  dxAt(params.off + (wid.z * params.c + c) * params.hw + p, c);
}

fn dxAt(k: u32, c: u32) {
  let g = grad(k);
  dx[k] = coef[params.c + c] * g + coef[2u * params.c + c] * (x[k] - coef[c]) + coef[3u * params.c + c];
}

@compute @workgroup_size(64)
fn flat(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= params.count) {
    return;
  }
  dxAt(params.off + i, (i / params.hw) % params.c);
}
