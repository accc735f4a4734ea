// Winograd F(2x2, 3x3) filter transform: u[e, o, c] = (G g G^T)[i, j], e = 4*i + j, for every
// 3x3 filter g = w[o, c].  w: (Co, C, 3, 3)  u: (16, Co, C).
// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
struct Params {
  Co: u32, C: u32, _p0: u32, _p1: u32,
}

#include "winograd_tiles"

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;

// Stores G applied to the row q, (q.x, (q.x + q.y + q.z) / 2, (q.x - q.y + q.z) / 2, q.z), as
// elements 4*i .. 4*i + 3 (element stride es).
fn put(o: u32, es: u32, q: vec3f) {
  u[o] = q.x;
  u[o + es] = 0.5 * (q.x + q.y + q.z);
  u[o + 2u * es] = 0.5 * (q.x - q.y + q.z);
  u[o + 3u * es] = q.z;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = linearIndex(wid, nwg, lid);
  let total = P.Co * P.C;
  if (k >= total) { return; }
  let s = k * 9u;
  let g0 = vec3f(w[s], w[s + 1u], w[s + 2u]);
  let g1 = vec3f(w[s + 3u], w[s + 4u], w[s + 5u]);
  let g2 = vec3f(w[s + 6u], w[s + 7u], w[s + 8u]);
  // Rows first (G g), then each row's columns (... G^T).
  put(k, total, g0);
  put(k + 4u * total, total, 0.5 * (g0 + g1 + g2));
  put(k + 8u * total, total, 0.5 * (g0 - g1 + g2));
  put(k + 12u * total, total, g2);
}
