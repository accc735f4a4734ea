// optim_runs: what the strided optimiser kernels (adadelta_runs.wgsl, adadelta_decay.wgsl)
// share: their uniforms and the elements an invocation owns. A run is the elements
// r * period + first + t of one parameter's views, r < rows, t < count (workgroup y = t); each
// invocation takes four rows (SwiftShader pays per invocation about what it pays for the
// accesses: the decay of 6.3 M elements took 53-59 ms at one row per invocation, 31-39 at four). Rows past the end repeat the last row, which is this invocation's own, computed from
// the same inputs, so writing it again writes what it already holds.
struct Params {
  rows: u32,
  period: u32,
  first: u32,
  steps: u32,       // adadelta_decay: steps owed
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

/** The first of the invocation's four rows (>= params.rows: nothing to do). */
fn runRow0(wid: vec3u, lid: u32) -> u32 {
  return (wid.x * 256u + lid) * 4u;
}

/** The elements of rows r0 .. r0 + 3 (the last row again past the end) in tap wid.y of the run. */
fn runElements(r0: u32, wid: vec3u) -> vec4u {
  let last = params.rows - 1u;
  let rows = min(vec4u(r0) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  return rows * params.period + params.first + wid.y;
}
