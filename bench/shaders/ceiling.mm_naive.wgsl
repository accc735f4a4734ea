// Ceiling probe (not a product kernel): C = A * B, one output per invocation.
// A: (M, K)  B: (K, N)  C: (M, N), f32 row-major.
struct Params { M: u32, N: u32, K: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  if (row >= P.M || col >= P.N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < P.K; k++) {
    acc = fma(a[row * P.K + k], b[k * P.N + col], acc);
  }
  c[row * P.N + col] = acc;
}
