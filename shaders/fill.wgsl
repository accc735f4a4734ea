// fill: out[i] = value for i < count. Used to poison outputs in tests and to zero gradients.
// out: (count) f32, viewed as u32 bits so NaN payloads survive exactly.

struct Params {
  count: u32,
  bits: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i < params.count) {
    out[i] = params.bits;
  }
}
