// Max pooling backward as a gather (deterministic, no atomics): one invocation per input
// element sums dy over the outputs whose window holds it and chose it.
// dy, argmax: (nb, C, Ho, Wo) from dyOff / aOff; dx: (nb, C, H, W) from dxOff.
struct Params {
  count: u32,  // nb * C * H * W
  h: u32,
  w: u32,
  ho: u32,
  wo: u32,
  kernel: u32,
  stride: u32,
  padding: u32,
  dyOff: u32,
  aOff: u32,
  dxOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= params.count) {
    return;
  }
  let hw = params.h * params.w;
  let plane = i / hw;
  let flat = i % hw;
  let h = i32(flat / params.w) + i32(params.padding);
  let w = i32(flat % params.w) + i32(params.padding);
  let k = i32(params.kernel);
  let s = i32(params.stride);
  // Outputs oh with oh*s <= h < oh*s + k, clipped to [0, ho).
  let ohs = max((h - k + s) / s, 0);
  let ohe = min(h / s + 1, i32(params.ho));
  let ows = max((w - k + s) / s, 0);
  let owe = min(w / s + 1, i32(params.wo));
  var g = 0.0;
  for (var oh = ohs; oh < ohe; oh++) {
    for (var ow = ows; ow < owe; ow++) {
      let o = plane * params.ho * params.wo + u32(oh) * params.wo + u32(ow);
      // A select, not an if: SwiftShader pays for a branch in a loop more than for the load.
      g += select(0.0, dy[params.dyOff + o], argmax[params.aOff + o] == i32(flat));
    }
  }
  dx[params.dxOff + i] = g;
}
