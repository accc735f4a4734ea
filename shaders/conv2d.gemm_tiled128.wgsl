// Shared-memory tiled implicit GEMM for conv2d with large tiles: the 'tiled128' engine for real GPUs.
// C[m, n] = sum_k A[m, k] * B[k, n]; the pass code below defines A, B and C (the same pass files
// as conv2d.gemm_tiled.wgsl's, see there).
// A 128 x 128 tile of C per workgroup of 256; each invocation accumulates 8 x 8 of it: rows
// ty*4 + {0..3} and 64 + ty*4 + {0..3}, columns likewise from tx. Per k step it reads two vec4s of
// A and two of B from workgroup memory for 64 multiply-adds (the 64 x 64 engine reads 8 floats
// for 16). Tiles of A and B, 8 deep in k, are staged from global memory in the order the pass
// names (A_K_FAST, B_K_FAST: consecutive invocations along k, or along m / n), the one in which
// neighbouring invocations read neighbouring addresses.
// Split-K as in conv2d.gemm_tiled.wgsl (tiles and splits numbered by lib/gemm_tiles.wgsl).

{{PASS}}

#include "gemm_tiles"

const BM = 128u;
const BN = 128u;
const BK = 8u;

// [k][m / 4] and [k][n / 4].
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = gemmTile(wid, nwg, BM, BN);
  if (!g.ok) { return; }
  let s = g.split;
  let m0 = g.m0;
  let n0 = g.n0;
  let tx = lid % 16u;
  let ty = lid / 16u;

  // Staging: invocation lid stages 4 elements of each 8 x 128 tile. Along k: k = lid % 8 and the
  // rows (columns) lid / 8 + 32 r; along m (n): m = lid % 128 and k = lid / 128 + 2 r.
  let kFast = lid % BK;
  let kSlow = lid / BM;
  let wide = lid % BM;
  let narrow = lid / BK;
  // B's columns are the same for every k tile: their (division-heavy) info is formed once.
  var bCols: array<NInfo, 4>;
  for (var r = 0u; r < 4u; r++) { bCols[r] = nInfo(n0 + select(wide, narrow + 32u * r, B_K_FAST)); }

  var acc: array<vec4<f32>, 16>; // acc[i * 2 + h]: row i of this invocation's 8, column half h (4 columns)
  for (var i = 0u; i < 16u; i++) { acc[i] = vec4<f32>(0.0); }

  for (var kt = g.kBegin; kt < g.kEnd; kt += BK) {
    if (A_K_FAST) {
      let ki = kInfo(kt + kFast);
      for (var r = 0u; r < 4u; r++) {
        let m = narrow + 32u * r;
        As[kFast * 32u + m / 4u][m % 4u] = loadA(m0 + m, ki);
      }
    } else {
      for (var r = 0u; r < 4u; r++) {
        let k = kSlow + 2u * r;
        As[k * 32u + wide / 4u][wide % 4u] = loadA(m0 + wide, kInfo(kt + k));
      }
    }
    if (B_K_FAST) {
      let ki = kInfo(kt + kFast);
      for (var r = 0u; r < 4u; r++) {
        let n = narrow + 32u * r;
        Bs[kFast * 32u + n / 4u][n % 4u] = loadB(ki, bCols[r]);
      }
    } else {
      for (var r = 0u; r < 4u; r++) {
        let k = kSlow + 2u * r;
        Bs[k * 32u + wide / 4u][wide % 4u] = loadB(kInfo(kt + k), bCols[0]);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a0 = As[kk * 32u + ty];
      let a1 = As[kk * 32u + 16u + ty];
      let b0 = Bs[kk * 32u + tx];
      let b1 = Bs[kk * 32u + 16u + tx];
      acc[0] += a0.x * b0;
      acc[1] += a0.x * b1;
      acc[2] += a0.y * b0;
      acc[3] += a0.y * b1;
      acc[4] += a0.z * b0;
      acc[5] += a0.z * b1;
      acc[6] += a0.w * b0;
      acc[7] += a0.w * b1;
      acc[8] += a1.x * b0;
      acc[9] += a1.x * b1;
      acc[10] += a1.y * b0;
      acc[11] += a1.y * b1;
      acc[12] += a1.z * b0;
      acc[13] += a1.z * b1;
      acc[14] += a1.w * b0;
      acc[15] += a1.w * b1;
    }
    workgroupBarrier();
  }

  for (var h = 0u; h < 2u; h++) {
    for (var j = 0u; j < 4u; j++) {
      let ni = nInfo(n0 + h * 64u + tx * 4u + j);
      for (var i = 0u; i < 8u; i++) {
        let m = m0 + (i / 4u) * 64u + ty * 4u + i % 4u;
        storeC(m, ni, acc[i * 2u + h][j], s);
      }
    }
  }
}
