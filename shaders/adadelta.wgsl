// adadelta: one fused update over a whole parameter arena (torch.optim.Adadelta semantics).
// params, grads, squareAvg (v), accDelta (u): (count4) vec4<f32>, the same layout, element i of each
// belongs to the same scalar parameter. mask: (blocks) u32, one per 64-float (256-byte) block,
// nonzero = trainable; frozen blocks are left untouched (their grads are never written).
// The step itself: lib/adadelta_step.wgsl.

struct Params {
  count4: u32,      // vec4s in this chunk
  blockOffset: u32, // index of this chunk's first 64-float block in the mask
  lr: f32,
  rho: f32,
  oneMinusRho: f32, // 1 - rho rounded once from f64, as torch passes it
  eps: f32,
  weightDecay: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// p @binding(1), g @binding(2), trainable(i):
#include "optim_arena"
@group(0) @binding(3) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> u: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> mask: array<u32>;
#include "adadelta_step"

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (!trainable(i)) { return; }
  let s = adadeltaStep(p[i], g[i], v[i], u[i]);
  v[i] = s.v;
  u[i] = s.u;
  p[i] = s.p;
}
