// Winograd F(2x2, 3x3) for dweight, the gradient side of the output transform: every 2x2 tile
// of dy becomes dM = A dY A^T (the 16 gradients of the GEMM results behind it), stored with the
// tiles along the channels so that the dweight GEMMs read it as the input of a 1x1 conv.
// dy: (Nc, Co, H, W) from element yOff of its binding (0 past the edges for odd sizes).
// dmt: (16, NT, Co), NT = Nc * tilesH * tilesW, tile n = (image * tilesH + ty) * tilesW + tx.
// A = [1 0; 1 1; 1 -1; 0 -1].
struct Params {
  Co: u32, H: u32, W: u32, tilesW: u32,
  tiles: u32, NT: u32, yOff: u32, _p0: u32,
}

#include "winograd_tiles"

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dmt: array<f32>;

// Stores A applied to the row (a, b), (a, a + b, a - b, -b), as elements 4*i .. 4*i + 3.
fn put(o: u32, es: u32, a: f32, b: f32) {
  dmt[o] = a;
  dmt[o + es] = a + b;
  dmt[o + 2u * es] = a - b;
  dmt[o + 3u * es] = -b;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = linearIndex(wid, nwg, lid);
  if (k >= P.Co * P.NT) { return; }
  // Output channels fastest: neighbouring invocations store neighbouring elements.
  let n = k / P.Co;
  let o = k - n * P.Co;
  let tile = tileAt(n, P.tiles, P.tilesW);
  let at = P.yOff + (tile.image * P.Co + o) * P.H * P.W + tile.oh * P.W + tile.ow;
  let right = tile.ow + 1u < P.W;
  let down = tile.oh + 1u < P.H;
  // Outside the image reads element 0 (valid memory) and counts as 0.
  let y00 = dy[at];
  let y01 = select(0.0, dy[select(0u, at + 1u, right)], right);
  let y10 = select(0.0, dy[select(0u, at + P.W, down)], down);
  let y11 = select(0.0, dy[select(0u, at + P.W + 1u, right && down)], right && down);
  let es = P.NT * P.Co;
  // Rows first (A dY), then each row's columns (... A^T).
  put(k, es, y00, y01);
  put(k + 4u * es, es, y00 + y10, y01 + y11);
  put(k + 8u * es, es, y00 - y10, y01 - y11);
  put(k + 12u * es, es, -y10, -y11);
}
