// Sum of `count` f32 values into one partial per workgroup: each workgroup folds 2048 values
// (8 strided per invocation, then a tree in workgroup memory). Repeated on the partials until
// one value is left. x: (count) from xOff; partial: (groups) written from outBase.
struct Params {
  count: u32,
  xOff: u32,
  outBase: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> s: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  let base = g * 2048u;
  var acc = 0.0;
  for (var j = 0u; j < 8u; j++) {
    let i = base + j * 256u + lid;
    if (i < params.count) {
      acc += x[params.xOff + i];
    }
  }
  s[lid] = acc;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      s[lid] += s[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u && base < params.count) {
    partial[params.outBase + g] = s[0];
  }
}
