// conv2d backward to the bias: dbias[o] = sum over images, oh, ow of dy[image, o, oh, ow].
// dy: (N, Cout, Ho, Wo)  dbias: (Cout), f32.
// One invocation per output channel summing its planes: no workgroup barriers (a barrier tree is
// many times slower on SwiftShader), and channels are few enough to fill the cores. Chunks after
// the first add to dbias (accumulate = 1).

struct Params { Cout: u32, images: u32, hw: u32, dyOff: u32, accumulate: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (o >= P.Cout) { return; }
  // Four partial sums keep the adds independent (and the rounding closer to a pairwise sum).
  var s = vec4f(0.0);
  for (var b = 0u; b < P.images; b++) {
    let base = P.dyOff + (b * P.Cout + o) * P.hw;
    var q = 0u;
    for (; q + 4u <= P.hw; q += 4u) {
      s += vec4f(dy[base + q], dy[base + q + 1u], dy[base + q + 2u], dy[base + q + 3u]);
    }
    for (; q < P.hw; q++) { s.x += dy[base + q]; }
  }
  let total = (s.x + s.y) + (s.z + s.w);
  if (P.accumulate != 0u) { db[o] = db[o] + total; } else { db[o] = total; }
}
