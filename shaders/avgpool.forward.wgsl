// Global average pooling forward: one invocation per (n, c) plane of a batch chunk.
// x: (nb, C, H, W) from xOff; y: (nb, C) from yOff. Blocks of 32 summed, then the block sums.
struct Params {
  planes: u32,
  hw: u32,
  xOff: u32,
  yOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (p >= params.planes) {
    return;
  }
  let base = params.xOff + p * params.hw;
  var total = 0.0;
  for (var i0 = 0u; i0 < params.hw; i0 += 32u) {
    var block = 0.0;
    for (var i = i0; i < min(i0 + 32u, params.hw); i++) {
      block += x[base + i];
    }
    total += block;
  }
  y[params.yOff + p] = total / f32(params.hw);
}
