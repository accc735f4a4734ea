// resize_common: what both passes of the antialiased resize (see src/reference/resample.ts)
// share: the uniform block Params (images, output size S) and the triangle-filter taps
// (struct Taps, taps(len, size, i), weight(t, j)).
struct Params {
  count: u32,
  size: u32,
  _unused: u32,
  _pad: u32,
}

// Taps of output sample i for an axis of length len: [j0, j1], centre c, half-width support.
struct Taps {
  j0: u32,
  j1: u32,
  c: f32,
  support: f32,
}

fn taps(len: u32, size: u32, i: u32) -> Taps {
  let scale = f32(len) / f32(size);
  let support = max(scale, 1.0);
  let c = (f32(i) + 0.5) * scale;
  let j0 = u32(max(0.0, ceil(c - support - 0.5)));
  let j1 = u32(min(f32(len) - 1.0, floor(c + support - 0.5)));
  return Taps(j0, j1, c, support);
}

fn weight(t: Taps, j: u32) -> f32 {
  return max(0.0, 1.0 - abs((f32(j) + 0.5 - t.c) / t.support));
}
