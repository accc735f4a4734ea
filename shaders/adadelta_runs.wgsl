// adadelta_runs: the Adadelta update of adadelta.wgsl, applied to a strided part of one
// parameter: the elements r * period + first + t for r < rows and t < wid.y's range (one row of
// workgroups per t). Used for the live taps of a weight whose other taps have a known zero
// gradient (src/nn/optim.ts); the arithmetic is the dense kernel's, operation for operation.
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
  let r = wid.x * 256u + lid;
  if (r >= params.rows) { return; }
  let i = r * params.period + params.first + wid.y;
  let pi = p[i];
  let gi = g[i] + params.weightDecay * pi;
  let vi = params.rho * v[i] + params.oneMinusRho * gi * gi;
  let ui = u[i];
  let d = sqrt(ui + params.eps) / sqrt(vi + params.eps) * gi;
  v[i] = vi;
  u[i] = params.rho * ui + params.oneMinusRho * d * d;
  p[i] = pi - params.lr * d;
}
