// conv2d backward to the bias: dbias[o] = sum over images, oh, ow of dy[image, o, oh, ow].
// dy: (N, Cout, Ho, Wo)  dbias: (Cout), f32.
// One workgroup per output channel: 64 invocations stride over the channel's planes (neighbours
// read neighbouring floats), then a tree reduction. Chunks after the first add (accumulate = 1).

struct Params { Cout: u32, images: u32, hw: u32, dyOff: u32, accumulate: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x;
  var s = 0.0;
  for (var b = 0u; b < P.images; b++) {
    let base = P.dyOff + (b * P.Cout + o) * P.hw;
    for (var q = lid; q < P.hw; q += 64u) { s += dy[base + q]; }
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var half = 32u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u && o < P.Cout) {
    if (P.accumulate != 0u) { db[o] = db[o] + partial[0]; } else { db[o] = partial[0]; }
  }
}
