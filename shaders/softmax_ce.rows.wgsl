// Fused softmax + cross-entropy, pass 1: per-row loss terms (one invocation per row).
// logits: (N, K); labels: (N) i32; classWeights: (K) (all ones when unweighted); cost: (K, K)
// (row = true class; read only when costOn = 1); rowTerms: (N, 3) =
// (CE numerator (1-e) w_y (-log p_y) + e/K sum_k w_k (-log p_k), w_y, sum_k p_k C[y, k]).

// Params, bindings 0-4 (logits, labels, classWeights, cost), rowMaxSum():
#include "softmax_ce_common"
@group(0) @binding(5) var<storage, read_write> rowTerms: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= params.n) {
    return;
  }
  let K = params.k;
  let base = i * K;
  let y = u32(clamp(labels[i], 0, i32(K) - 1));
  let stats = rowMaxSum(base, K);
  let mx = stats.x;
  let z = stats.y;
  let logz = log(z);
  var smoothSum = 0.0;
  var expCost = 0.0;
  for (var k = 0u; k < K; k++) {
    let logp = logits[base + k] - mx - logz;
    smoothSum -= classWeights[k] * logp;
    if (params.costOn == 1u) {
      expCost += exp(logp) * cost[y * K + k];
    }
  }
  let e = params.smoothing;
  let wy = classWeights[y];
  let nll = -(logits[base + y] - mx - logz);
  rowTerms[3u * i] = (1.0 - e) * wy * nll + e / f32(K) * smoothSum;
  rowTerms[3u * i + 1u] = wy;
  rowTerms[3u * i + 2u] = expCost;
}
