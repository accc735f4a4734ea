// adadelta_decay: params.steps deferred Adadelta steps of one run of a parameter
// (lib/optim_runs.wgsl) whose gradient was exactly zero in each of them (src/nn/optim.ts). With
// g = 0 and no weight decay an Adadelta step leaves the parameter as it is and scales both
// accumulators by rho: v = rho*v + (1-rho)*0 is rho*v to the last bit, and so is u. So the steps
// are replayed as `steps` multiplications each, in order, which gives the same floats as running
// them one by one. v, u: the parameter's state views.
#include "optim_runs"

@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r0 = runRow0(wid, lid);
  if (r0 >= params.rows) { return; }
  let i = runElements(r0, wid);
  let rho = params.rho;
  var vi = vec4f(v[i.x], v[i.y], v[i.z], v[i.w]);
  var ui = vec4f(u[i.x], u[i.y], u[i.z], u[i.w]);
  // Four at a time: SwiftShader pays more per loop iteration than per multiplication.
  let quads = params.steps / 4u;
  for (var s = 0u; s < quads; s++) {
    vi = rho * (rho * (rho * (rho * vi)));
    ui = rho * (rho * (rho * (rho * ui)));
  }
  for (var s = quads * 4u; s < params.steps; s++) {
    vi = rho * vi;
    ui = rho * ui;
  }
  // A repeated last row gets the value it already got.
  v[i.x] = vi.x; u[i.x] = ui.x;
  v[i.y] = vi.y; u[i.y] = ui.y;
  v[i.z] = vi.z; u[i.z] = ui.z;
  v[i.w] = vi.w; u[i.w] = ui.w;
}
