// Fused softmax + cross-entropy, pass 3: d(loss)/d(logits), one invocation per element.
// dlogits[i, j] = (p_j ((1-e) w_y + e/K sum_k w_k) - (1-e) w_y [j = y] - e/K w_j) / sum_i w_y
//               + p_j (C[y, j] - sum_k p_k C[y, k]) / N
// logits, dlogits: (N, K); labels: (N) i32; classWeights: (K); cost: (K, K); rowTerms: (N, 3);
// scalars: [2] = (1 / sum_i w_y, sum_k w_k).

// Params, bindings 0-4 (logits, labels, classWeights, cost), rowMaxSum():
#include "softmax_ce_common"
@group(0) @binding(5) var<storage, read> rowTerms: array<f32>;
@group(0) @binding(6) var<storage, read> scalars: array<f32>;
@group(0) @binding(7) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (idx >= params.n * params.k) {
    return;
  }
  let K = params.k;
  let i = idx / K;
  let j = idx % K;
  let base = i * K;
  let y = u32(clamp(labels[i], 0, i32(K) - 1));
  // Each invocation recomputes its row's softmax: K is small (the classes), and this avoids a
  // per-row buffer and a barrier.
  let stats = rowMaxSum(base, K);
  let mx = stats.x;
  let z = stats.y;
  let p = exp(logits[base + j] - mx) / z;
  let e = params.smoothing;
  let wy = classWeights[y];
  var g = p * ((1.0 - e) * wy + e / f32(K) * scalars[1]) - e / f32(K) * classWeights[j];
  if (j == y) {
    g -= (1.0 - e) * wy;
  }
  g *= scalars[0];
  if (params.costOn == 1u) {
    g += p * (cost[y * K + j] - rowTerms[3u * i + 2u]) / f32(params.n);
  }
  dlogits[idx] = g;
}
