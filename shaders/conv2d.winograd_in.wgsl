// Winograd F(2x2, 3x3) input transform (stride 1, padding 1): every 4x4 input patch d whose
// output is the 2x2 tile (ty, tx) becomes B^T d B, one value per element e = 4*i + j.
// x: (Nc, C, H, W) from element xOff of its binding.  v: (16, C, NT), NT = Nc * tilesH * tilesW,
// column n = (image * tilesH + ty) * tilesW + tx: the 16 GEMMs read it as 1x1 convs.
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Patch rows 2*ty-1 .. 2*ty+2, columns likewise; 0
// outside the image (odd sizes and the padding). One invocation per (channel, tile): 16 loads,
// 16 stores, the divisions once.
struct Params {
  C: u32, H: u32, W: u32, tilesW: u32,
  tiles: u32, NT: u32, xOff: u32, _p0: u32,
}

#include "winograd_tiles"

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;

fn row(base: i32, h: i32, cols: vec4i, colOk: vec4<bool>) -> vec4f {
  let ok = colOk & vec4<bool>(h >= 0 && h < i32(P.H));
  let i = select(vec4u(0u), vec4u(vec4i(base + h * i32(P.W)) + cols), ok);
  return select(vec4f(0.0), vec4f(x[i.x], x[i.y], x[i.z], x[i.w]), ok);
}

// Stores B^T applied to the row q, (q.x - q.z, q.y + q.z, q.z - q.y, q.y - q.w), as elements
// 4*i .. 4*i + 3 (element stride es).
fn put(o: u32, es: u32, q: vec4f) {
  v[o] = q.x - q.z;
  v[o + es] = q.y + q.z;
  v[o + 2u * es] = q.z - q.y;
  v[o + 3u * es] = q.y - q.w;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = linearIndex(wid, nwg, lid);
  if (k >= P.C * P.NT) { return; }
  let c = k / P.NT;
  let n = k - c * P.NT;
  let tile = tileAt(n, P.tiles, P.tilesW);
  let base = i32(P.xOff + (tile.image * P.C + c) * P.H * P.W);
  let h0 = i32(tile.oh) - 1;
  let cols = vec4i(i32(tile.ow) - 1) + vec4i(0, 1, 2, 3);
  let colOk = (cols >= vec4i(0)) & (cols < vec4i(i32(P.W)));
  let d0 = row(base, h0, cols, colOk);
  let d1 = row(base, h0 + 1, cols, colOk);
  let d2 = row(base, h0 + 2, cols, colOk);
  let d3 = row(base, h0 + 3, cols, colOk);
  // Rows first (B^T d), then each row's columns (... B).
  let es = P.C * P.NT;
  let o = c * P.NT + n;
  put(o, es, d0 - d2);
  put(o + 4u * es, es, d1 + d2);
  put(o + 8u * es, es, d2 - d1);
  put(o + 12u * es, es, d1 - d3);
}
