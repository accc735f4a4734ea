// Winograd F(2x2, 3x3) for dweight, the gradient side of the filter transform: dw[o, c] =
// G^T dU G for the 16 gradients dU[e] = dut[e, c, o] of the transformed filter (e = 4*i + j),
// written, or added for image chunks after the first (the '.add' variant: the transform is linear).
// dut: (16, C, Co)  dw: (Co, C, 3, 3).  G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1].
struct Params {
  Co: u32, C: u32, _p0: u32, _p1: u32,
}

#include "winograd_tiles"

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dut: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;

// G^T applied to the four values of a row (or column): (a + (b + c) / 2, (b - c) / 2, (b + c) / 2 + d).
fn gt(q: vec4f) -> vec3f {
  return vec3f(q.x + 0.5 * (q.y + q.z), 0.5 * (q.y - q.z), 0.5 * (q.y + q.z) + q.w);
}

fn store(i: u32, v: f32) {
  {{STORE}}
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = linearIndex(wid, nwg, lid);
  let total = P.Co * P.C;
  if (k >= total) { return; }
  // k = c * Co + o: neighbouring invocations read neighbouring elements.
  let c = k / P.Co;
  let o = k - c * P.Co;
  let r0 = vec4f(dut[k], dut[k + total], dut[k + 2u * total], dut[k + 3u * total]);
  let r1 = vec4f(dut[k + 4u * total], dut[k + 5u * total], dut[k + 6u * total], dut[k + 7u * total]);
  let r2 = vec4f(dut[k + 8u * total], dut[k + 9u * total], dut[k + 10u * total], dut[k + 11u * total]);
  let r3 = vec4f(dut[k + 12u * total], dut[k + 13u * total], dut[k + 14u * total], dut[k + 15u * total]);
  // Rows first (G^T dU), then each row's columns (... G).
  let q0 = gt(r0) + 0.5 * (gt(r1) + gt(r2));
  let q1 = 0.5 * (gt(r1) - gt(r2));
  let q2 = 0.5 * (gt(r1) + gt(r2)) + gt(r3);
  let s = (o * P.C + c) * 9u;
  store(s, q0.x);
  store(s + 1u, q0.y);
  store(s + 2u, q0.z);
  store(s + 3u, q1.x);
  store(s + 4u, q1.y);
  store(s + 5u, q1.z);
  store(s + 6u, q2.x);
  store(s + 7u, q2.y);
  store(s + 8u, q2.z);
}
