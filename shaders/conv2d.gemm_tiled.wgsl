// Shared-memory tiled implicit GEMM for conv2d, the variant for real GPUs.
// C[m, n] = sum_k A[m, k] * B[k, n]; the pass code below defines what A, B and C are in terms of
// x: (N, C, H, W), weight: (Cout, C, kh, kw), y/dy: (N, Cout, Ho, Wo) (see each pass file).
// A 64 x 64 tile of C per workgroup of 256; each invocation accumulates 4 x 4 of it. Tiles of
// A and B (16 deep in k) are staged in workgroup memory so each global element is read once.
// Split-K: the pass's kPerSplit() (a multiple of BK, or K) cuts k into splits (lib/gemm_tiles.wgsl
// numbers tiles and splits); storeC gets the split to place its partial sums. k tiles never
// straddle two splits.

{{PASS}}

#include "gemm_tiles"

const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> As: array<f32, 1024>; // [k][m]
var<workgroup> Bs: array<f32, 1024>; // [k][n]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = gemmTile(wid, nwg, BM, BN);
  if (!g.ok) { return; }
  let s = g.split;
  let m0 = g.m0;
  let n0 = g.n0;
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; }
  }
  // The column each invocation stages into Bs is the same for every k tile.
  let bn = lid % BN;
  let nStage = nInfo(n0 + bn);
  for (var kt = g.kBegin; kt < g.kEnd; kt += BK) {
    for (var e = 0u; e < 4u; e++) {
      let idx = lid + e * 256u;
      let ak = idx % BK;
      let am = idx / BK;
      As[ak * BM + am] = loadA(m0 + am, kInfo(kt + ak));
      let bk = idx / BN;
      Bs[bk * BN + bn] = loadB(kInfo(kt + bk), nStage);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * BM + ty * 4u + i]; }
      for (var j = 0u; j < 4u; j++) { b[j] = Bs[kk * BN + tx + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < 4u; j++) {
    let ni = nInfo(n0 + tx + 16u * j);
    for (var i = 0u; i < 4u; i++) { storeC(m0 + ty * 4u + i, ni, acc[i][j], s); }
  }
}
