// Winograd F(2x2, 3x3) output transform: the 16 GEMM results m (element e = 4*i + j) of output
// channel o and tile (ty, tx) become the 2x2 outputs A^T m A (+ bias), stored where they exist
// (odd sizes leave the tile's last row or column out).
// m: (16, Co, NT), column n = (image * tilesH + ty) * tilesW + tx.  y: (Nc, Co, H, W) from element
// yOff of its binding.  A^T = [1 1 1 0; 0 1 -1 -1].
struct Params {
  Co: u32, H: u32, W: u32, tilesW: u32,
  tiles: u32, NT: u32, yOff: u32, hasBias: u32,
}

#include "winograd_tiles"

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = linearIndex(wid, nwg, lid);
  if (k >= P.Co * P.NT) { return; }
  let o = k / P.NT;
  let tile = tileAt(k - o * P.NT, P.tiles, P.tilesW);
  let es = P.Co * P.NT;
  let r0 = vec4f(m[k], m[k + es], m[k + 2u * es], m[k + 3u * es]);
  let r1 = vec4f(m[k + 4u * es], m[k + 5u * es], m[k + 6u * es], m[k + 7u * es]);
  let r2 = vec4f(m[k + 8u * es], m[k + 9u * es], m[k + 10u * es], m[k + 11u * es]);
  let r3 = vec4f(m[k + 12u * es], m[k + 13u * es], m[k + 14u * es], m[k + 15u * es]);
  // Rows first (A^T m), then the columns (... A).
  let s0 = r0 + r1 + r2;
  let s1 = r1 - r2 - r3;
  let bi = select(0.0, bias[o], P.hasBias != 0u);
  let y00 = s0.x + s0.y + s0.z + bi;
  let y01 = s0.y - s0.z - s0.w + bi;
  let y10 = s1.x + s1.y + s1.z + bi;
  let y11 = s1.y - s1.z - s1.w + bi;
  let at = P.yOff + (tile.image * P.Co + o) * P.H * P.W + tile.oh * P.W + tile.ow;
  let right = tile.ow + 1u < P.W;
  let down = tile.oh + 1u < P.H;
  y[at] = y00;
  if (right) { y[at + 1u] = y01; }
  if (down) { y[at + P.W] = y10; }
  if (right && down) { y[at + P.W + 1u] = y11; }
}
