// Register-tiled implicit GEMM for conv2d, the SwiftShader variant: no workgroup memory and no
// barriers (each barrier turns SwiftShader's 4-wide invocation groups into coroutines).
// C[m, n] = sum_k A[m, k] * B[k, n]; the pass code below defines what A, B and C are in terms of
// x: (N, C, H, W), weight: (Cout, C, kh, kw), y/dy: (N, Cout, Ho, Wo) (see each pass file).
// Each invocation owns TM rows x TN columns; its columns are WG apart so that neighbouring
// invocations load neighbouring columns (contiguous x along W: SwiftShader vectorises those loads).
// The TM x TN body is unrolled by the wrapper's generator ({{...}} slots).

{{PASS}}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // Tiles are numbered linearly (column tiles fastest) over a grid folded into x, y, z.
  let nTiles = (P.N + {{NSPAN}}u - 1u) / {{NSPAN}}u;
  let t = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let mTile = t / nTiles;
  let nTile = t - mTile * nTiles;
  let m0 = mTile * {{TM}}u;
  if (m0 >= P.M) { return; }
  let n0 = nTile * {{NSPAN}}u + lid;
{{NDECL}}
{{ACCDECL}}
  var ki = kInfo(0u);
  for (var k = 0u; k < P.K; k++) {
{{ALOAD}}
{{BLOAD}}
{{FMA}}
    ki = kNext(ki);
  }
{{STORE}}
}
