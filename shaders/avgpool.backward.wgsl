// Global average pooling backward: dx[n, c, h, w] = dy[n, c] / (H * W), over a batch chunk.
// dy: (nb, C) from dyOff; dx: (nb, C, H, W) from dxOff.
struct Params {
  count: u32,
  hw: u32,
  dyOff: u32,
  dxOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= params.count) {
    return;
  }
  dx[params.dxOff + i] = dy[params.dyOff + i / params.hw] / f32(params.hw);
}
