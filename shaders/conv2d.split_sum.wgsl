// Split-K reduction of the 'tiled' backward-weight GEMM: dw[i] = sum over splits s of
// part[s * count + i], plus dw[i] itself when accumulating (batch chunks after the first).
// One invocation per element; the splits are summed in order, so the result is deterministic.
// part: (splits, count)  dw: (count), f32.

struct Params {
  count: u32,
  splits: u32,
  accumulate: u32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * 256u + lid;
  if (i >= P.count) { return; }
  var total = 0.0;
  for (var s = 0u; s < P.splits; s++) { total += part[s * P.count + i]; }
  if (P.accumulate != 0u) { total += dw[i]; }
  dw[i] = total;
}
