// Sum of each (n, c) plane of a batch chunk. x: (nb, C, H, W) from xOff; out: (N, C) written
// from planeBase. Entry `tree`: a workgroup per plane (strided runs, then a tree). Entry `rows`:
// an invocation per plane (blocks of 32, then the block sums), for small planes.
struct Params {
  hw: u32,
  planes: u32,
  xOff: u32,
  planeBase: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> s: array<f32, 256>;

@compute @workgroup_size(256)
fn tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x;
  let valid = plane < params.planes;
  var acc = 0.0;
  if (valid) {
    let base = params.xOff + plane * params.hw;
    for (var i = lid; i < params.hw; i += 256u) {
      acc += x[base + i];
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
  if (lid == 0u && valid) {
    out[params.planeBase + plane] = s[0];
  }
}

@compute @workgroup_size(64)
fn rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let plane = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (plane >= params.planes) {
    return;
  }
  let base = params.xOff + plane * params.hw;
  var total = 0.0;
  for (var i0 = 0u; i0 < params.hw; i0 += 32u) {
    var block = 0.0;
    for (var i = i0; i < min(i0 + 32u, params.hw); i++) {
      block += x[base + i];
    }
    total += block;
  }
  out[params.planeBase + plane] = total;
}
