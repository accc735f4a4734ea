// adadelta_runs: the Adadelta update of adadelta.wgsl, applied to a strided part of one
// parameter: the elements r * period + first + t for r < rows and t < count (wid.y = t). Used for
// the live taps of a weight whose other taps have a known zero gradient (src/nn/optim.ts); the
// arithmetic is the dense kernel's, operation for operation, on vec4s of four rows.
// Four rows per invocation: SwiftShader pays per invocation about what it pays for the accesses
// (one row per invocation: 53-59 ms for 6.3 M elements of the decay kernel, four: 31-39).
// p, g, v, u: the parameter's views in the arena buffers, scalar f32.

struct Params {
  rows: u32,
  period: u32,
  first: u32,
  _pad: u32,
  lr: f32,
  rho: f32,
  oneMinusRho: f32,
  eps: f32,
  weightDecay: f32,
  _p0: f32,
  _p1: f32,
  _p2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> u: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r0 = (wid.x * 256u + lid) * 4u;
  if (r0 >= params.rows) { return; }
  // Rows past the end repeat the last row: this invocation's, computed from the same inputs, so
  // writing it again writes what it already holds.
  let last = params.rows - 1u;
  let s = params.period;
  let base = params.first + wid.y;
  let i = vec4u(min(r0, last), min(r0 + 1u, last), min(r0 + 2u, last), min(r0 + 3u, last)) * s + base;
  let pi = vec4f(p[i.x], p[i.y], p[i.z], p[i.w]);
  let gi = vec4f(g[i.x], g[i.y], g[i.z], g[i.w]) + params.weightDecay * pi;
  let vi = params.rho * vec4f(v[i.x], v[i.y], v[i.z], v[i.w]) + params.oneMinusRho * gi * gi;
  let ui = vec4f(u[i.x], u[i.y], u[i.z], u[i.w]);
  let d = sqrt(ui + params.eps) / sqrt(vi + params.eps) * gi;
  let un = params.rho * ui + params.oneMinusRho * d * d;
  let pn = pi - params.lr * d;
  // Stores in order x, y, z, w: a repeated last row gets the value it already got.
  v[i.x] = vi.x; u[i.x] = un.x; p[i.x] = pn.x;
  v[i.y] = vi.y; u[i.y] = un.y; p[i.y] = pn.y;
  v[i.z] = vi.z; u[i.z] = un.z; p[i.z] = pn.z;
  v[i.w] = vi.w; u[i.w] = un.w; p[i.w] = pn.w;
}
