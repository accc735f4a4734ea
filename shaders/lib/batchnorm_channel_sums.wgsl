// batchnorm_channel_sums: channelSums(c), the two per-plane sums of partial (N, C, 2) added over
// the batch for channel c. The including shader declares params.n, params.c and `partial`.
fn channelSums(c: u32) -> vec2f {
  var s = vec2f(0.0);
  for (var n = 0u; n < params.n; n++) {
    s += vec2f(partial[2u * (n * params.c + c)], partial[2u * (n * params.c + c) + 1u]);
  }
  return s;
}
