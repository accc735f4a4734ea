// Fused softmax + cross-entropy, pass 2 (one workgroup): loss = sum CE / sum w_y + mean cost,
// and for pass 3 the scalars (1 / sum_i w_y, sum_k w_k). rowTerms: (N, 3); classWeights: (K);
// loss: [1]; scalars: [2].
struct Params {
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rowTerms: array<f32>;
@group(0) @binding(2) var<storage, read> classWeights: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> scalars: array<f32>;

var<workgroup> s: array<vec3f, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = vec3f(0.0);
  for (var i = lid; i < params.n; i += 64u) {
    acc += vec3f(rowTerms[3u * i], rowTerms[3u * i + 1u], rowTerms[3u * i + 2u]);
  }
  s[lid] = acc;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      s[lid] += s[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let t = s[0];
    loss[0] = t.x / t.y + t.z / f32(params.n);
    scalars[0] = 1.0 / t.y;
    var sw = 0.0;
    for (var k = 0u; k < params.k; k++) {
      sw += classWeights[k];
    }
    scalars[1] = sw;
  }
}
