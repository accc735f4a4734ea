// row_argmax: isNan(v), and argmaxRow(base, k) = the index of the largest of x[base .. base + k):
// the first one on ties, the first NaN if there is one (PyTorch's argmax). Reads the including
// shader's storage binding `x: array<f32>`.
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn argmaxRow(base: u32, k: u32) -> u32 {
  var best = x[base];
  var at = 0u;
  if (!isNan(best)) {
    for (var j = 1u; j < k; j++) {
      let v = x[base + j];
      if (isNan(v)) {
        at = j;
        break;
      }
      if (v > best) {
        best = v;
        at = j;
      }
    }
  }
  return at;
}
