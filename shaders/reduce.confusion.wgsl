// Confusion counts: counts[label * K + prediction] += 1 per sample (row = true class).
// predictions, labels: (n) i32 from offsets; counts: (K, K) u32, accumulated atomically.
// Samples with a label or prediction outside [0, K) are not counted.
struct Params {
  n: u32,
  k: u32,
  pOff: u32,
  lOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> predictions: array<i32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= params.n) {
    return;
  }
  let p = predictions[params.pOff + i];
  let l = labels[params.lOff + i];
  let k = i32(params.k);
  if (p >= 0 && p < k && l >= 0 && l < k) {
    atomicAdd(&counts[u32(l * k + p)], 1u);
  }
}
