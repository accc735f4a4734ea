// adadelta_decay: `steps` deferred Adadelta steps of elements whose gradient was exactly zero in
// each of them (src/nn/optim.ts). With g = 0 and no weight decay an Adadelta step leaves the
// parameter as it is and scales both accumulators by rho: v = rho*v + (1-rho)*0 is rho*v to the
// last bit, and so is u. So the steps are replayed as `steps` multiplications each, in order,
// which gives the same floats as running them one by one. Elements: r * period + first + t for
// r < rows and t < wid.y's range, as in adadelta_runs.wgsl. v, u: the parameter's state views.

struct Params {
  rows: u32,
  period: u32,
  first: u32,
  steps: u32,
  rho: f32,
  _p0: f32,
  _p1: f32,
  _p2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x * 256u + lid;
  if (r >= params.rows) { return; }
  let i = r * params.period + params.first + wid.y;
  let rho = params.rho;
  var vi = v[i];
  var ui = u[i];
  // Four at a time: SwiftShader pays per loop iteration more than per multiplication.
  let quads = params.steps / 4u;
  for (var s = 0u; s < quads; s++) {
    vi = rho * (rho * (rho * (rho * vi)));
    ui = rho * (rho * (rho * (rho * ui)));
  }
  for (var s = quads * 4u; s < params.steps; s++) {
    vi = rho * vi;
    ui = rho * ui;
  }
  v[i] = vi;
  u[i] = ui;
}
