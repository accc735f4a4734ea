// resize.vertical: second pass of the antialiased resize: tmp columns filtered along y.
// table: (N, 8) u32 [pixelOffset, W, H, tmpOffset, profileOffset, outputSlot, 0, 0]; boxes: (N, 4) u32 [x, y, width, height]
// tmp: per image (box height, S) vec4 f32 at tmpOffset (in vec4s)
// out: (Nout, 3, S, S) f32 in [0, 1]; image n goes to batch index table[n*8 + 5]

#include "resize_common"

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> boxes: array<u32>;
@group(0) @binding(3) var<storage, read> tmp: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.y;
  if (n >= params.count) { return; }
  let s = params.size;
  let idx = wid.x * 64u + lid;
  if (idx >= s * s) { return; }
  let oy = idx / s;
  let ox = idx % s;
  let bh = boxes[n * 4u + 3u];
  let t = taps(bh, s, oy);
  let toff = table[n * 8u + 3u];
  var acc = vec4f(0.0);
  var sum = 0.0;
  for (var j = t.j0; j <= t.j1; j++) {
    let wt = weight(t, j);
    acc += wt * tmp[toff + j * s + ox];
    sum += wt;
  }
  let v = acc / sum;
  let plane = s * s;
  let o = table[n * 8u + 5u] * 3u * plane + idx;
  out[o] = v.x;
  out[o + plane] = v.y;
  out[o + 2u * plane] = v.z;
}
