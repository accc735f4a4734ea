// matmul_io: the uniform block and bindings every matmul variant shares (the wrapper binds them
// the same way for all): op(A) at a[aOff + m * sam + k * sak], op(B) at b[bOff + k * sbk + n * sbn],
// bias[n] when biasOn = 1, c (M, N) row-major from cOff.
struct Params {
  m: u32,
  n: u32,
  k: u32,
  sam: u32,
  sak: u32,
  sbk: u32,
  sbn: u32,
  aOff: u32,
  bOff: u32,
  cOff: u32,
  biasOn: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
