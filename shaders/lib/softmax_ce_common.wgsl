// softmax_ce_common: what the per-row and per-element passes of softmax + cross-entropy share:
// the uniform block, bindings 0-4 (logits (N, K), labels (N) i32, classWeights (K), cost (K, K))
// and rowMaxSum(base, K) = (max_k l_k, sum_k exp(l_k - max)) of the row starting at logits[base].
struct Params {
  n: u32,
  k: u32,
  costOn: u32,
  smoothing: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> classWeights: array<f32>;
@group(0) @binding(4) var<storage, read> cost: array<f32>;

fn rowMaxSum(base: u32, K: u32) -> vec2f {
  var mx = logits[base];
  for (var k = 1u; k < K; k++) {
    mx = max(mx, logits[base + k]);
  }
  var z = 0.0;
  for (var k = 0u; k < K; k++) {
    z += exp(logits[base + k] - mx);
  }
  return vec2f(mx, z);
}
