// Index of each row's maximum (torch.argmax): the first maximum wins, a NaN is the maximum
// (the first NaN). x: (rows, K) from xOff; out: (rows) i32 from outOff.
struct Params {
  rows: u32,
  k: u32,
  xOff: u32,
  outOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

#include "row_argmax"

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (row >= params.rows) {
    return;
  }
  let at = argmaxRow(params.xOff + row * params.k, params.k);
  out[params.outOff + row] = i32(at);
}
