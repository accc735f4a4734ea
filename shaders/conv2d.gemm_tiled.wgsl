// Shared-memory tiled implicit GEMM for conv2d, the variant for real GPUs.
// C[m, n] = sum_k A[m, k] * B[k, n]; the pass code below defines what A, B and C are in terms of
// x: (N, C, H, W), weight: (Cout, C, kh, kw), y/dy: (N, Cout, Ho, Wo) (see each pass file).
// A 64 x 64 tile of C per workgroup of 256; each invocation accumulates 4 x 4 of it. Tiles of
// A and B (16 deep in k) are staged in workgroup memory so each global element is read once.
// Split-K: the pass's kPerSplit() (a multiple of BK, or K) cuts k into splits; the workgroups of
// split s sum k in [s * kPerSplit, (s + 1) * kPerSplit) and storeC gets s to place the partial.

{{PASS}}

const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> As: array<f32, 1024>; // [k][m]
var<workgroup> Bs: array<f32, 1024>; // [k][n]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // Tiles are numbered linearly (column tiles fastest) over a grid folded into x, y, z; the
  // early return is uniform per workgroup, so no barrier is skipped by part of a workgroup.
  let nTiles = (P.N + BN - 1u) / BN;
  let tiles = nTiles * ((P.M + BM - 1u) / BM);
  let t0 = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let kps = kPerSplit();
  let s = t0 / tiles;
  let kBegin = s * kps;
  if (kBegin >= P.K) { return; }
  // k tiles never straddle two splits (kps is a multiple of BK); the last split ends at K.
  let kEnd = min(P.K, kBegin + kps);
  let t = t0 - s * tiles;
  let mTile = t / nTiles;
  let nTile = t - mTile * nTiles;
  let m0 = mTile * BM;
  let n0 = nTile * BN;
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; }
  }
  // The column each invocation stages into Bs is the same for every k tile.
  let bn = lid % BN;
  let nStage = nInfo(n0 + bn);
  for (var kt = kBegin; kt < kEnd; kt += BK) {
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
