// C = op(A) @ op(B) (+ bias[n]), register-tiled without workgroup memory (the SwiftShader
// variant: no barriers; consecutive invocations take consecutive columns, so B loads vectorise).
// op(A): (M, K) read as a[aOff + m * sam + k * sak]; op(B): (K, N) read as b[bOff + k * sbk + n * sbn];
// bias: (N), used when biasOn = 1; c: (M, N) row-major from cOff.
// A 16x8 workgroup covers a 64x64 block; each invocation 8 rows x 4 columns 16 apart (8 rows
// measured 1.4x faster than 4 on SwiftShader at 512^3; register arrays indexed in loops spill).
// Params and bindings 0-4 (a, b, bias, c):
#include "matmul_io"

@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * 64u + lid.y * 8u;
  let col0 = wid.x * 64u + lid.x;
  // Out-of-range rows and columns read a clamped (valid) element and are not written.
  let lastM = params.m - 1u;
  let lastN = params.n - 1u;
  var ar: vec4u;
  var ar2: vec4u;
  var bc: vec4u;
  for (var i = 0u; i < 4u; i++) {
    ar[i] = params.aOff + min(row0 + i, lastM) * params.sam;
    ar2[i] = params.aOff + min(row0 + 4u + i, lastM) * params.sam;
    bc[i] = params.bOff + min(col0 + 16u * i, lastN) * params.sbn;
  }
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var k = 0u; k < params.k; k++) {
    let ka = k * params.sak;
    let kb = k * params.sbk;
    let bv = vec4f(b[bc.x + kb], b[bc.y + kb], b[bc.z + kb], b[bc.w + kb]);
    acc0 += a[ar.x + ka] * bv;
    acc1 += a[ar.y + ka] * bv;
    acc2 += a[ar.z + ka] * bv;
    acc3 += a[ar.w + ka] * bv;
    acc4 += a[ar2.x + ka] * bv;
    acc5 += a[ar2.y + ka] * bv;
    acc6 += a[ar2.z + ka] * bv;
    acc7 += a[ar2.w + ka] * bv;
  }
  var bv = vec4f(0.0);
  if (params.biasOn == 1u) {
    bv = vec4f(bias[min(col0, lastN)], bias[min(col0 + 16u, lastN)], bias[min(col0 + 32u, lastN)], bias[min(col0 + 48u, lastN)]);
  }
  let acc = array<vec4f, 8>(acc0 + bv, acc1 + bv, acc2 + bv, acc3 + bv, acc4 + bv, acc5 + bv, acc6 + bv, acc7 + bv);
  for (var i = 0u; i < 8u; i++) {
    let r = row0 + i;
    if (r < params.m) {
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + 16u * j;
        if (col < params.n) {
          c[params.cOff + r * params.n + col] = acc[i][j];
        }
      }
    }
  }
}
