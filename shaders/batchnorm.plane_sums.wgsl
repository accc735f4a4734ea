// Per-plane sums for batch statistics over the (n, c) planes of a batch chunk.
// x: (nb, C, H, W) f32 from element params.xOff; shift: (C); partial: (N, C, 2) f32.
// partial[n, c] = (sum (x - shift[c]), sum (x - shift[c])^2) over the plane's H*W elements.
// With shift = 0 this gives the mean (pass one); with shift = mean, the corrected variance
// (pass two). Entry `tree`: one workgroup per plane, strided runs then a tree in workgroup
// memory. Entry `rows`: one invocation per plane, blocks of 32 summed then the block sums (no
// barriers, for small planes). Either way f32 error grows far slower than H*W.

struct Params {
  hw: u32,
  c: u32,
  planes: u32,     // nb * C planes in this chunk
  xOff: u32,
  planeBase: u32,  // n0 * C: first plane of this chunk in `partial`
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

var<workgroup> s1: array<f32, 256>;
var<workgroup> s2: array<f32, 256>;

fn term(k: u32, m: f32) -> vec2f {
  let d = x[k] - m;
  return vec2f(d, d * d);
}

fn store(plane: u32, s: vec2f) {
  let p = params.planeBase + plane;
  partial[2u * p] = s.x;
  partial[2u * p + 1u] = s.y;
}

@compute @workgroup_size(256)
fn tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x;
  // Uniform control flow: every invocation reaches the barriers, out-of-range groups add zeros.
  let valid = plane < params.planes;
  var acc = vec2f(0.0);
  if (valid) {
    let m = shift[plane % params.c];
    let base = params.xOff + plane * params.hw;
    for (var i = lid; i < params.hw; i += 256u) {
      acc += term(base + i, m);
    }
  }
  s1[lid] = acc.x;
  s2[lid] = acc.y;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      s1[lid] += s1[lid + stride];
      s2[lid] += s2[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u && valid) {
    store(plane, vec2f(s1[0], s2[0]));
  }
}

@compute @workgroup_size(64)
fn rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let plane = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (plane >= params.planes) {
    return;
  }
  let m = shift[plane % params.c];
  let base = params.xOff + plane * params.hw;
  var total = vec2f(0.0);
  for (var i0 = 0u; i0 < params.hw; i0 += 32u) {
    var block = vec2f(0.0);
    for (var i = i0; i < min(i0 + 32u, params.hw); i++) {
      block += term(base + i, m);
    }
    total += block;
  }
  store(plane, total);
}
