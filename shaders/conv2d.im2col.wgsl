// conv2d column matrix for inputs with few channels (conv1 on SwiftShader): the taps become
// channels, so the conv runs as a 1x1 conv (a plain GEMM) over them.
// x: (Nc, C, H, W) from element xOff of its binding  col: (Nc, C*kh*kw, Ho, Wo), row (c, ky, kx),
// col[image, (c*kh + ky)*kw + kx, oh, ow] = x[image, c, oh*stride - pad + ky, ow*stride - pad + kx],
// 0 in the padding. Workgroups: x along the output columns ow (32 each), y = row, z = image; each
// invocation walks its column down the Ho output rows. The divisions (SwiftShader divides per
// lane) happen once per invocation, not per element, and the walk has no branch (in-step profile
// at 64 px batch 8, forward and backward together: 43-50 -> 12-16 ms).

struct Params {
  C: u32, H: u32, W: u32, Ho: u32,
  Wo: u32, kh: u32, kw: u32, stride: u32,
  pad: u32, xOff: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> col: array<f32>;

@compute @workgroup_size(32)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let ow = wid.x * 32u + lid;
  if (ow >= P.Wo) { return; }
  let row = wid.y;
  let b = wid.z;
  let khw = P.kh * P.kw;
  let c = row / khw;
  let tap = row - c * khw;
  let ky = tap / P.kw;
  let kx = tap - ky * P.kw;
  // Input coordinates are kept shifted by +pad so that they stay unsigned.
  let wp = ow * P.stride + kx;
  let wOk = wp >= P.pad && wp < P.W + P.pad;
  let xRow0 = P.xOff + (b * P.C + c) * P.H * P.W + select(0u, wp - P.pad, wOk);
  var hp = ky;
  var dst = (b * P.C * khw + row) * P.Ho * P.Wo + ow;
  for (var oh = 0u; oh < P.Ho; oh++) {
    let ok = wOk && hp >= P.pad && hp < P.H + P.pad;
    // Out of range reads element 0 of the binding (valid memory) and stores 0.
    let src = select(0u, xRow0 + (hp - P.pad) * P.W, ok);
    col[dst] = select(0.0, x[src], ok);
    hp += P.stride;
    dst += P.Wo;
  }
}
