// resize.horizontal: first pass of the crop-box -> S x S antialiased resize (triangle filter,
// see src/reference/resample.ts): each box row filtered along x to S samples.
// pixels: packed RGBA8 u32; table: (N, 8) u32 [pixelOffset, W, H, tmpOffset, profileOffset, outputSlot, 0, 0]
// boxes: (N, 4) u32 [x, y, width, height]
// tmp: per image (box height, S) vec4 f32 at tmpOffset (in vec4s), RGB in xyz, in [0, 1]

#include "resize_common"

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read> boxes: array<u32>;
@group(0) @binding(4) var<storage, read_write> tmp: array<vec4f>;

fn unpack(p: u32) -> vec4f {
  return vec4f(f32(p & 0xffu), f32((p >> 8u) & 0xffu), f32((p >> 16u) & 0xffu), 0.0);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.y;
  if (n >= params.count) { return; }
  let s = params.size;
  let idx = wid.x * 64u + lid;
  let row = idx / s;
  let ox = idx % s;
  let bh = boxes[n * 4u + 3u];
  if (row >= bh) { return; }
  let bx = boxes[n * 4u];
  let by = boxes[n * 4u + 1u];
  let bw = boxes[n * 4u + 2u];
  let base = table[n * 8u];
  let w = table[n * 8u + 1u];
  let t = taps(bw, s, ox);
  var acc = vec4f(0.0);
  var sum = 0.0;
  let rowBase = base + (by + row) * w + bx;
  for (var j = t.j0; j <= t.j1; j++) {
    let wt = weight(t, j);
    acc += wt * unpack(pixels[rowBase + j]);
    sum += wt;
  }
  tmp[table[n * 8u + 3u] + row * s + ox] = acc / (sum * 255.0);
}

