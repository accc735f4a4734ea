// y = (x - mean[c]) * scale[c] + bias[c] (then ReLU when RELU = 1), elementwise over a batch
// chunk. Subtracting the mean first keeps y exact when the mean is large against the spread.
// x, y: (nb, C, H, W) from elements xOff / yOff; coef: (3, C) = (mean, scale, bias).
// main: grid (ceil(H*W / 256), C, nb), four elements per invocation, the channel is the workgroup's y, so no per-element division.
// flat (planes under 64 elements, late layers): one invocation per element of the chunk, the
// channel divided out per element; the grid above would run 64-lane groups for 4 or 16 elements
// (SwiftShader executes every group of 4 lanes whether or not a lane is live).
override RELU: u32 = 0u;

struct Params {
  hw: u32,
  c: u32,
  xOff: u32,
  yOff: u32,
  count: u32, // nb * C * H * W, for flat
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> coef: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  // Four neighbouring elements per invocation (SwiftShader pays per invocation about what it
  // pays for the accesses); past the plane's end the last element again, which rewrites the
  // value it already got.
  let p = (wid.x * 64u + lid) * 4u;
  if (p >= params.hw) {
    return;
  }
  let c = wid.y;
  let last = params.hw - 1u;
  let base = (wid.z * params.c + c) * params.hw;
  let k = vec4u(base) + min(vec4u(p) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  let mean = coef[c];
  let scale = coef[params.c + c];
  let shift = coef[2u * params.c + c];
  var v = (vec4f(x[params.xOff + k.x], x[params.xOff + k.y], x[params.xOff + k.z], x[params.xOff + k.w]) - mean) * scale + shift;
  if (RELU == 1u) {
    v = max(v, vec4f(0.0));
  }
  y[params.yOff + k.x] = v.x;
  y[params.yOff + k.y] = v.y;
  y[params.yOff + k.z] = v.z;
  y[params.yOff + k.w] = v.w;
}

fn apply(i: u32, c: u32) {
  var v = (x[params.xOff + i] - coef[c]) * coef[params.c + c] + coef[2u * params.c + c];
  if (RELU == 1u) {
    v = max(v, 0.0);
  }
  y[params.yOff + i] = v;
}

@compute @workgroup_size(64)
fn flat(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= params.count) {
    return;
  }
  apply(i, (i / params.hw) % params.c);
}
