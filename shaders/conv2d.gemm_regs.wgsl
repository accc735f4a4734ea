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
  let nTile = wid.x + wid.z * nwg.x;
  let m0 = wid.y * {{TM}}u;
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
