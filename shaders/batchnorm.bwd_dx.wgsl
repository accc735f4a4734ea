// dx = k1[c] * g + k2[c] * (x - mean[c]) + k3[c], g = dy (masked by y > 0 when RELU = 1), over a batch chunk.
// dy, x, y, dx: (nb, C, H, W) from element params.off (all share it: same shape, aligned starts);
// coef: (4, C) = (mean, k1, k2, k3).
// main: grid (ceil(H*W / 256), C, nb), four elements per invocation, the channel is the workgroup's y, so no per-element division;
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
  // Four neighbouring elements per invocation, as in batchnorm.apply.wgsl (past the plane's end
  // the last element again, rewriting its own value).
  let p = (wid.x * 64u + lid) * 4u;
  if (p >= params.hw) {
    return;
  }
  let c = wid.y;
  let last = params.hw - 1u;
  let k = vec4u(params.off + (wid.z * params.c + c) * params.hw) + min(vec4u(p) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  let mean = coef[c];
  let k1 = coef[params.c + c];
  let k2 = coef[2u * params.c + c];
  let k3 = coef[3u * params.c + c];
  let g = vec4f(grad(k.x), grad(k.y), grad(k.z), grad(k.w));
  let xv = vec4f(x[k.x], x[k.y], x[k.z], x[k.w]);
  let d = k1 * g + k2 * (xv - mean) + k3;
  dx[k.x] = d.x;
  dx[k.y] = d.y;
  dx[k.z] = d.z;
  dx[k.w] = d.w;
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
