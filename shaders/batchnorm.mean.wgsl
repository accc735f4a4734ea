// Batch mean per channel from per-plane sums. partial: (N, C, 2); mean: (C).
struct Params {
  n: u32,
  c: u32,
  count: f32,  // N * H * W
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= params.c) {
    return;
  }
  var s = 0.0;
  for (var n = 0u; n < params.n; n++) {
    s += partial[2u * (n * params.c + c)];
  }
  mean[c] = s / params.count;
}
