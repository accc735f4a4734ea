// Backward per-plane sums over the (n, c) planes of a batch chunk (entries `tree` and `rows`
// as in batchnorm.plane_sums.wgsl).
// dy, x, y: (nb, C, H, W) from element params.off (y: the fused ReLU output; when RELU = 0 the
// wrapper binds dy there and it is not used); saveMean, saveInvstd: (C); partial: (N, C, 2).
// partial[n, c] = (sum g, sum g * xhat) with g = dy masked by y > 0, xhat = (x - mean) * invstd.
override RELU: u32 = 0u;

struct Params {
  hw: u32,
  c: u32,
  planes: u32,
  off: u32,
  planeBase: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read> saveMean: array<f32>;
@group(0) @binding(5) var<storage, read> saveInvstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

var<workgroup> s1: array<f32, 256>;
var<workgroup> s2: array<f32, 256>;

fn term(k: u32, m: f32, inv: f32) -> vec2f {
  var g = dy[k];
  if (RELU == 1u) {
    g = select(0.0, g, y[k] > 0.0);
  }
  return vec2f(g, g * (x[k] - m) * inv);
}

fn store(plane: u32, s: vec2f) {
  let p = params.planeBase + plane;
  partial[2u * p] = s.x;
  partial[2u * p + 1u] = s.y;
}

@compute @workgroup_size(256)
fn tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x;
  let valid = plane < params.planes;
  var acc = vec2f(0.0);
  if (valid) {
    let c = plane % params.c;
    let m = saveMean[c];
    let inv = saveInvstd[c];
    let base = params.off + plane * params.hw;
    for (var i = lid; i < params.hw; i += 256u) {
      acc += term(base + i, m, inv);
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
  let c = plane % params.c;
  let m = saveMean[c];
  let inv = saveInvstd[c];
  let base = params.off + plane * params.hw;
  var total = vec2f(0.0);
  for (var i0 = 0u; i0 < params.hw; i0 += 32u) {
    var block = vec2f(0.0);
    for (var i = i0; i < min(i0 + 32u, params.hw); i++) {
      block += term(base + i, m, inv);
    }
    total += block;
  }
  store(plane, total);
}
