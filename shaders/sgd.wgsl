// sgd: one fused update over a whole parameter arena (torch.optim.SGD semantics).
// params, grads, momentumBuffer: (count4) vec4<f32>, same layout. mask: (blocks) u32, one per
// 64-float block, nonzero = trainable; frozen blocks are left untouched.
//   d = g + wd*p
//   momentum != 0: buf = first ? d : momentum*buf + (1-dampening)*d;  d = nesterov ? d + momentum*buf : buf
//   p -= lr*d

struct Params {
  count4: u32,
  blockOffset: u32,
  lr: f32,
  momentum: f32,
  oneMinusDampening: f32, // rounded once from f64, as torch passes it
  weightDecay: f32,
  nesterov: u32,
  first: u32,       // 1 on the first step: torch sets buf = d (no dampening)
}

@group(0) @binding(0) var<uniform> params: Params;
// p @binding(1), g @binding(2), trainable(i):
#include "optim_arena"
@group(0) @binding(3) var<storage, read_write> buf: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (!trainable(i)) { return; }
  let pi = p[i];
  var d = g[i] + params.weightDecay * pi;
  if (params.momentum != 0.0) {
    var b = d;
    if (params.first == 0u) { b = params.momentum * buf[i] + params.oneMinusDampening * d; }
    buf[i] = b;
    if (params.nesterov != 0u) { d = d + params.momentum * b; } else { d = b; }
  }
  p[i] = pi - params.lr * d;
}
