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
  var s = 0.0;
  for (var ky = 0u; ky < P.kh; ky++) {
    let th = h + P.pad - ky; // wraps below zero: then th >= Ho * stride and fails the test below
    let oh = th / P.stride;
    if (h + P.pad < ky || oh * P.stride != th || oh >= P.Ho) { continue; }
    for (var kx = 0u; kx < P.kw; kx++) {
      let tw = wc + P.pad - kx;
      let ow = tw / P.stride;
      if (wc + P.pad < kx || ow * P.stride != tw || ow >= P.Wo) { continue; }
      s += dcol[((c * P.kh + ky) * P.kw + kx) * P.rowStride + colBase + oh * P.Wo + ow];
    }
  }
  dx[P.dxOff + i] = s;
}
