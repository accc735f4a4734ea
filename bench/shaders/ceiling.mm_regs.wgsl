// Ceiling probe (not a product kernel): C = A * B with an 8x4 register tile per invocation and no
// workgroup memory (no barriers: SwiftShader's friendly shape). The 4 columns of one invocation
// are 64 apart so neighbouring invocations read neighbouring B elements; A values are the same
// across the workgroup (broadcast). Unrolled by hand: dynamic indexing of a register array can
// spill to memory.
// A: (M, K)  B: (K, N)  C: (M, N), f32 row-major; M multiple of 8, N multiple of 256.
struct Params { M: u32, N: u32, K: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wid.y * 8u;
  let col0 = wid.x * 256u + lid;
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  var c4 = vec4f(0.0); var c5 = vec4f(0.0); var c6 = vec4f(0.0); var c7 = vec4f(0.0);
  let K = P.K;
  for (var k = 0u; k < K; k++) {
    let bRow = k * P.N + col0;
    let bv = vec4f(b[bRow], b[bRow + 64u], b[bRow + 128u], b[bRow + 192u]);
    let aCol = row0 * K + k;
    c0 = fma(vec4f(a[aCol]), bv, c0);
    c1 = fma(vec4f(a[aCol + K]), bv, c1);
    c2 = fma(vec4f(a[aCol + 2u * K]), bv, c2);
    c3 = fma(vec4f(a[aCol + 3u * K]), bv, c3);
    c4 = fma(vec4f(a[aCol + 4u * K]), bv, c4);
    c5 = fma(vec4f(a[aCol + 5u * K]), bv, c5);
    c6 = fma(vec4f(a[aCol + 6u * K]), bv, c6);
    c7 = fma(vec4f(a[aCol + 7u * K]), bv, c7);
  }
  let N = P.N;
  var base = row0 * N + col0;
  c[base] = c0.x; c[base + 64u] = c0.y; c[base + 128u] = c0.z; c[base + 192u] = c0.w; base += N;
  c[base] = c1.x; c[base + 64u] = c1.y; c[base + 128u] = c1.z; c[base + 192u] = c1.w; base += N;
  c[base] = c2.x; c[base + 64u] = c2.y; c[base + 128u] = c2.z; c[base + 192u] = c2.w; base += N;
  c[base] = c3.x; c[base + 64u] = c3.y; c[base + 128u] = c3.z; c[base + 192u] = c3.w; base += N;
  c[base] = c4.x; c[base + 64u] = c4.y; c[base + 128u] = c4.z; c[base + 192u] = c4.w; base += N;
  c[base] = c5.x; c[base + 64u] = c5.y; c[base + 128u] = c5.z; c[base + 192u] = c5.w; base += N;
  c[base] = c6.x; c[base + 64u] = c6.y; c[base + 128u] = c6.z; c[base + 192u] = c6.w; base += N;
  c[base] = c7.x; c[base + 64u] = c7.y; c[base + 128u] = c7.z; c[base + 192u] = c7.w;
}
