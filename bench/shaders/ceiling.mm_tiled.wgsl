// Ceiling probe (not a product kernel): C = A * B with 64x64 workgroup tiles staged through
// workgroup memory (K step 16) and a 4x4 register tile per invocation: the GPU-friendly shape.
// A: (M, K)  B: (K, N)  C: (M, N), f32 row-major; M, N multiples of 64, K multiple of 16.
struct Params { M: u32, N: u32, K: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<array<f32, 64>, 16>; // [k][m]
var<workgroup> tileB: array<array<f32, 64>, 16>; // [k][n]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let flat = ty * 16u + tx;
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < P.K; k0 += 16u) {
    // 256 invocations load 1024 values of each tile: 4 each.
    for (var i = 0u; i < 4u; i++) {
      let e = flat + i * 256u;
      let am = e / 16u;
      let ak = e % 16u;
      tileA[ak][am] = a[(m0 + am) * P.K + k0 + ak];
      let bk = e / 64u;
      let bn = e % 64u;
      tileB[bk][bn] = b[(k0 + bk) * P.N + n0 + bn];
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      let bv = vec4f(tileB[k][tx], tileB[k][tx + 16u], tileB[k][tx + 32u], tileB[k][tx + 48u]);
      for (var i = 0u; i < 4u; i++) {
        acc[i] = fma(vec4f(tileA[k][ty + i * 16u]), bv, acc[i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let base = (m0 + ty + i * 16u) * P.N + n0 + tx;
    c[base] = acc[i].x;
    c[base + 16u] = acc[i].y;
    c[base + 32u] = acc[i].z;
    c[base + 48u] = acc[i].w;
  }
}
