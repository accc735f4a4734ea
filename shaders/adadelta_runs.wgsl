// adadelta_runs: the Adadelta update of adadelta.wgsl (lib/adadelta_step.wgsl, the same
// arithmetic) applied to one run of a parameter (lib/optim_runs.wgsl): the live taps of a weight
// whose other taps have a known zero gradient (src/nn/optim.ts).
// p, g, v, u: the parameter's views in the arena buffers, scalar f32.
#include "optim_runs"
#include "adadelta_step"

@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> u: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r0 = runRow0(wid, lid);
  if (r0 >= params.rows) { return; }
  let i = runElements(r0, wid);
  let s = adadeltaStep(
    vec4f(p[i.x], p[i.y], p[i.z], p[i.w]),
    vec4f(g[i.x], g[i.y], g[i.z], g[i.w]),
    vec4f(v[i.x], v[i.y], v[i.z], v[i.w]),
    vec4f(u[i.x], u[i.y], u[i.z], u[i.w]),
  );
  // In order x, y, z, w: a repeated last row gets the value it already got.
  v[i.x] = s.v.x; u[i.x] = s.u.x; p[i.x] = s.p.x;
  v[i.y] = s.v.y; u[i.y] = s.u.y; p[i.y] = s.p.y;
  v[i.z] = s.v.z; u[i.z] = s.u.z; p[i.z] = s.p.z;
  v[i.w] = s.v.w; u[i.w] = s.u.w; p[i.w] = s.p.w;
}
