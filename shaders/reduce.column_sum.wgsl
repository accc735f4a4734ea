// Column sums of a row-major (R, C) matrix: out[c] = sum_r x[r, c], plus out[c] itself when
// accumulating. One invocation per column (consecutive invocations read consecutive floats); rows
// in blocks of 32, then the block sums, in a fixed order. x: (R, C) from xOff; out: (C).
struct Params {
  rows: u32,
  cols: u32,
  xOff: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let col = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (col >= params.cols) {
    return;
  }
  var total = 0.0;
  for (var r0 = 0u; r0 < params.rows; r0 += 32u) {
    var block = 0.0;
    for (var r = r0; r < min(r0 + 32u, params.rows); r++) {
      block += x[params.xOff + r * params.cols + col];
    }
    total += block;
  }
  if (params.accumulate != 0u) { total += out[col]; }
  out[col] = total;
}
