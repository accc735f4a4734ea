// batchnorm_plane_sums: the per-plane reduction both batch-statistics passes share: Params,
// the uniform binding, store() into partial (N, C, 2), and the entry points over the (n, c)
// planes of a batch chunk. Entry `tree`: one workgroup per plane, strided runs then a tree in
// workgroup memory. Entry `rows`: one invocation per plane, blocks of 32 summed then the block
// sums (no barriers, for small planes). Either way f32 error grows far slower than H*W.
// The including shader declares the `partial` binding, struct PlaneCtx (what term needs of a
// plane, read once), fn planeCtx(plane) -> PlaneCtx and fn term(k, ctx) -> vec2f, the pair summed
// over the plane's elements k.
struct Params {
  hw: u32,
  c: u32,
  planes: u32,     // nb * C planes in this chunk
  off: u32,        // element offset of the chunk in the bound inputs
  planeBase: u32,  // n0 * C: first plane of this chunk in `partial`
}

@group(0) @binding(0) var<uniform> params: Params;

var<workgroup> s1: array<f32, 256>;
var<workgroup> s2: array<f32, 256>;

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
    let ctx = planeCtx(plane);
    let base = params.off + plane * params.hw;
    for (var i = lid; i < params.hw; i += 256u) {
      acc += term(base + i, ctx);
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
  let ctx = planeCtx(plane);
  let base = params.off + plane * params.hw;
  var total = vec2f(0.0);
  for (var i0 = 0u; i0 < params.hw; i0 += 32u) {
    var block = vec2f(0.0);
    for (var i = i0; i < min(i0 + 32u, params.hw); i++) {
      block += term(base + i, ctx);
    }
    total += block;
  }
  store(plane, total);
}
