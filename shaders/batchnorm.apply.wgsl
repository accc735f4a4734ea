// y = (x - mean[c]) * scale[c] + bias[c] (then ReLU when RELU = 1), elementwise over a batch
// chunk. Subtracting the mean first keeps y exact when the mean is large against the spread.
// x, y: (nb, C, H, W) from elements xOff / yOff; coef: (3, C) = (mean, scale, bias).
// Grid (ceil(H*W / 64), C, nb): the channel is the workgroup's y, so no per-element division.
override RELU: u32 = 0u;

struct Params {
  hw: u32,
  c: u32,
  xOff: u32,
  yOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> coef: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = wid.x * 64u + lid;
  if (p >= params.hw) {
    return;
  }
  let c = wid.y;
  let i = (wid.z * params.c + c) * params.hw + p;
  var v = (x[params.xOff + i] - coef[c]) * coef[params.c + c] + coef[2u * params.c + c];
  if (RELU == 1u) {
    v = max(v, 0.0);
  }
  y[params.yOff + i] = v;
}
