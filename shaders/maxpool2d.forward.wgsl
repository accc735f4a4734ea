// Max pooling forward, one invocation per output element of a batch chunk.
// x: (nb, C, H, W) from element xOff; y, argmax: (nb, C, Ho, Wo) from yOff / aOff;
// argmax (i32) is the flat index h * W + w of the chosen input within its H*W plane.
// Scan order and ties as PyTorch: the first maximum wins, a NaN beats everything (the last NaN).
struct Params {
  count: u32,  // nb * C * Ho * Wo
  h: u32,
  w: u32,
  ho: u32,
  wo: u32,
  kernel: u32,
  stride: u32,
  padding: u32,
  xOff: u32,
  yOff: u32,
  aOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>;

fn isNan(v: f32) -> bool {
  // Bit test: comparisons with NaN may be folded away by shader compilers.
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (o >= params.count) {
    return;
  }
  let ow = o % params.wo;
  let oh = (o / params.wo) % params.ho;
  let plane = o / (params.wo * params.ho);
  let h0 = i32(oh * params.stride) - i32(params.padding);
  let w0 = i32(ow * params.stride) - i32(params.padding);
  let hs = u32(max(h0, 0));
  let ws = u32(max(w0, 0));
  let he = u32(min(h0 + i32(params.kernel), i32(params.h)));
  let we = u32(min(w0 + i32(params.kernel), i32(params.w)));
  let base = params.xOff + plane * params.h * params.w;
  // Starting from the window's first element gives the same choice as starting from -inf (it
  // is re-visited and only a NaN there replaces it), and -inf is no WGSL constant.
  var at = hs * params.w + ws;
  var best = x[base + at];
  for (var h = hs; h < he; h++) {
    for (var w = ws; w < we; w++) {
      let v = x[base + h * params.w + w];
      // Selects, not an if: SwiftShader runs both sides of a branch and merges them.
      let take = v > best || isNan(v);
      best = select(best, v, take);
      at = select(at, h * params.w + w, take);
    }
  }
  y[params.yOff + o] = best;
  argmax[params.aOff + o] = i32(at);
}
