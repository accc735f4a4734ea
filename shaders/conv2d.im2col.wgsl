// conv2d column matrix for inputs with few channels (conv1 on SwiftShader): the taps become
// channels, so the conv runs as a 1x1 conv (a plain GEMM) over them.
// x: (Nc, C, H, W) from element xOff of its binding  col: (Nc, C*kh*kw, Ho, Wo), row (c, ky, kx),
// col[image, (c*kh + ky)*kw + kx, oh, ow] = x[image, c, oh*stride - pad + ky, ow*stride - pad + kx],
// 0 in the padding. Workgroups: x along the Ho*Wo positions (64 each), y = row, z = image, so only
// the position needs a division (SwiftShader divides per lane).

struct Params {
  C: u32, H: u32, W: u32, Ho: u32,
  Wo: u32, kh: u32, kw: u32, stride: u32,
  pad: u32, xOff: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> col: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let hwo = P.Ho * P.Wo;
  let pos = wid.x * 64u + lid;
  if (pos >= hwo) { return; }
  let row = wid.y;
  let b = wid.z;
  let khw = P.kh * P.kw;
  let c = row / khw;
  let tap = row - c * khw;
  let ky = tap / P.kw;
  let kx = tap - ky * P.kw;
  let oh = pos / P.Wo;
  let ow = pos - oh * P.Wo;
  // Unsigned wrap below zero lands far above H / W and fails the same test.
  let h = oh * P.stride + ky - P.pad;
  let w = ow * P.stride + kx - P.pad;
  var v = 0.0;
  if (oh * P.stride + ky >= P.pad && ow * P.stride + kx >= P.pad && h < P.H && w < P.W) {
    v = x[P.xOff + ((b * P.C + c) * P.H + h) * P.W + w];
  }
  col[(b * P.C * khw + row) * hwo + pos] = v;
}
