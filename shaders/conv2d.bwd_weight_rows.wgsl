// conv2d backward to the weight with register tiles for few input channels (conv1), SwiftShader.
// x: (N, C, H, W)  dy: (N, Cout, Ho, Wo)  dweight: (Cout, C, kh, kw), f32 NCHW.
// dweight[o, c, ky, kx] = sum over images, oh, ow of dy[image, o, oh, ow] * x[image, c, oh*s - p + ky, ow*s - p + kx].
// A workgroup owns one kernel row ky and TM output channels; the columns are the (c, kx) pairs of
// that row (C*kw of them, TN per invocation, WG apart), so few channels still fill the columns.
// Rows of the padding are skipped once per workgroup; the left/right padding differs per column
// and is a select per column and step. Chunks after the first add to dweight (the '.add' variant).
// xOff/dyOff: element offsets of the chunk inside its 256-byte-aligned binding.

struct Params {
  Co: u32, C: u32, H: u32, W: u32,
  Ho: u32, Wo: u32, kh: u32, kw: u32,
  stride: u32, pad: u32, images: u32, xOff: u32,
  dyOff: u32, _unused: u32, mTiles: u32, nTiles: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // Tiles are numbered linearly (column tiles fastest, then output channels, then kernel rows).
  let t = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let nTile = t % P.nTiles;
  let rest = t / P.nTiles;
  let mTile = rest % P.mTiles;
  let ky = rest / P.mTiles;
  if (ky >= P.kh) { return; }
  let m0 = mTile * {{TM}}u;
  let n0 = nTile * {{NSPAN}}u + lid;
  let hw = P.H * P.W;
  let hwo = P.Ho * P.Wo;
  let khw = P.kh * P.kw;
  let s = P.stride;
  let W = i32(P.W);
  // Output rows whose input row oh*s - p + ky exists.
  let offH = i32(ky) - i32(P.pad);
  let ohLo = u32(select(0, (-offH + i32(s) - 1) / i32(s), offH < 0));
  let lastH = i32(P.H) - 1 - offH;
  let ohHi = max(ohLo, u32(select(0, min(i32(P.Ho), lastH / i32(s) + 1), lastH >= 0)));
  // Rows past Cout read the last one (valid memory) and are not stored.
  let lastM = P.Co - 1u;
  let nCols = P.C * P.kw;
{{ROWDECL}}
{{COLDECL}}
{{ACCDECL}}
  for (var img = 0u; img < P.images; img++) {
    let dyImg = P.dyOff + img * P.Co * hwo;
    let xImg = P.xOff + img * P.C * hw;
    for (var oh = ohLo; oh < ohHi; oh++) {
      var dyi = dyImg + oh * P.Wo;
      let xRow = xImg + u32(i32(oh * s) + offH) * P.W;
{{ROWSTART}}
      for (var ow = 0u; ow < P.Wo; ow++) {
{{BLOAD}}
{{FMA}}
        dyi += 1u;
{{WNEXT}}
      }
    }
  }
{{STORE}}
}
