// adamw: one fused update over a whole parameter arena (torch.optim.AdamW semantics, no amsgrad).
// params, grads, expAvg (m), expAvgSq (v): (count4) vec4<f32>, same layout. mask: (blocks) u32,
// one per 64-float block, nonzero = trainable; frozen blocks are left untouched.
//   p *= 1 - lr*wd;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//   p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)   with bc = 1 - beta^step (computed on the host in f64)

struct Params {
  count4: u32,
  blockOffset: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,   // 1 - beta1 and 1 - beta2 rounded once from f64, as torch passes them
  oneMinusBeta2: f32,
  eps: f32,
  decay: f32,          // 1 - lr*wd, formed in f64 on the host
  stepSize: f32,        // lr / bc1
  invSqrtBc2: f32,      // 1 / sqrt(bc2)
}

@group(0) @binding(0) var<uniform> params: Params;
// p @binding(1), g @binding(2), trainable(i):
#include "optim_arena"
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> mask: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (!trainable(i)) { return; }
  let gi = g[i];
  let pi = p[i] * params.decay;
  let mi = params.beta1 * m[i] + params.oneMinusBeta1 * gi;
  let vi = params.beta2 * v[i] + params.oneMinusBeta2 * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = pi - params.stepSize * mi / (sqrt(vi) * params.invSqrtBc2 + params.eps);
}
