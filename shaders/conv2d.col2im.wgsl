// conv2d backward to the input, step 2 of 2: dx[image, c, h, w] = sum over the taps (ky, kx) that
// reach (h, w) from an output position of dcol[(c, ky, kx), (image, oh, ow)].
// dcol: (C*kh*kw, Nc, Ho, Wo) or (Nc, C*kh*kw, Ho, Wo), read as dcol[row * rowStride + image * imgStride
// + oh * Wo + ow]  dx: (Nc, C, H, W), f32. One invocation per dx element; every element is written
// (zero where no tap reaches it). dxOff: element offset of the chunk in its binding.

struct Params {
  total: u32, C: u32, H: u32, W: u32,
  Ho: u32, Wo: u32, kh: u32, kw: u32,
  stride: u32, pad: u32, dxOff: u32, rowStride: u32,
  imgStride: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dcol: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= P.total) { return; }
  let hw = P.H * P.W;
  let wc = i % P.W;
  let h = (i / P.W) % P.H;
  let c = (i / hw) % P.C;
  let b = i / (hw * P.C);
  let colBase = b * P.imgStride;
  // The taps that reach (h, w) are ky = t - oh * stride (t = h + pad) for the outputs oh in
  // [ceil((t - kh + 1) / stride), min(t / stride, Ho - 1)]: walked directly, so the loops carry
  // no test and strided convs visit only their live taps (SwiftShader pays for every branch).
  let th = h + P.pad;
  let tw = wc + P.pad;
  let s = P.stride;
  let ohLo = select(0u, (th + 1u - P.kh + s - 1u) / s, th + 1u > P.kh);
  let ohHi = min(th / s + 1u, P.Ho);
  let owLo = select(0u, (tw + 1u - P.kw + s - 1u) / s, tw + 1u > P.kw);
  let owHi = min(tw / s + 1u, P.Wo);
  var acc = 0.0;
  for (var oh = ohLo; oh < ohHi; oh++) {
    let rowBase = (c * P.kh + th - oh * s) * P.kw;
    for (var ow = owLo; ow < owHi; ow++) {
      acc += dcol[(rowBase + tw - ow * s) * P.rowStride + colBase + oh * P.Wo + ow];
    }
  }
  dx[P.dxOff + i] = acc;
}
