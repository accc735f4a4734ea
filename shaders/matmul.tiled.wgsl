// C = op(A) @ op(B) (+ bias[n]) with 64x64 workgroup tiles staged in workgroup memory, 16 deep
// along K (the GPU variant). Same bindings and addressing as matmul.regs.wgsl:
// op(A): (M, K) at a[aOff + m * sam + k * sak]; op(B): (K, N) at b[bOff + k * sbk + n * sbn];
// bias: (N) when biasOn = 1; c: (M, N) row-major from cOff.
// Each of the 256 invocations accumulates 4 rows x 4 columns (columns 16 apart).
// Params and bindings 0-4 (a, b, bias, c):
#include "matmul_io"

var<workgroup> tileA: array<f32, 1024>;  // [kk * 64 + mm]
var<workgroup> tileB: array<f32, 1024>;  // [kk * 64 + nn]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var k0 = 0u; k0 < params.k; k0 += 16u) {
    for (var r = 0u; r < 4u; r++) {
      let e = li + 256u * r;
      // A: 16 consecutive k per row (contiguous when A is not transposed).
      let mm = e / 16u;
      let ka = e % 16u;
      var va = 0.0;
      if (m0 + mm < params.m && k0 + ka < params.k) {
        va = a[params.aOff + (m0 + mm) * params.sam + (k0 + ka) * params.sak];
      }
      tileA[ka * 64u + mm] = va;
      // B: 64 consecutive n per k (contiguous when B is not transposed).
      let kb = e / 64u;
      let nn = e % 64u;
      var vb = 0.0;
      if (n0 + nn < params.n && k0 + kb < params.k) {
        vb = b[params.bOff + (k0 + kb) * params.sbk + (n0 + nn) * params.sbn];
      }
      tileB[kb * 64u + nn] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let bv = vec4f(tileB[kk * 64u + lid.x], tileB[kk * 64u + lid.x + 16u], tileB[kk * 64u + lid.x + 32u], tileB[kk * 64u + lid.x + 48u]);
      for (var i = 0u; i < 4u; i++) {
        acc[i] += tileA[kk * 64u + lid.y * 4u + i] * bv;
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = m0 + lid.y * 4u + i;
    if (r < params.m) {
      for (var j = 0u; j < 4u; j++) {
        let col = n0 + lid.x + 16u * j;
        if (col < params.n) {
          var v = acc[i][j];
          if (params.biasOn == 1u) {
            v += bias[col];
          }
          c[params.cOff + r * params.n + col] = v;
        }
      }
    }
  }
}
