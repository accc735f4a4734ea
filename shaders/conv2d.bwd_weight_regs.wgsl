// conv2d backward to the weight with register tiles, the SwiftShader variant.
// x: (N, C, H, W)  dy: (N, Cout, Ho, Wo)  dweight: (Cout, C, kh, kw), f32 NCHW.
// dweight[o, c, ky, kx] = sum over images, oh, ow of dy[image, o, oh, ow] * x[image, c, oh*s - p + ky, ow*s - p + kx].
// A workgroup owns one tap (ky, kx), TM output channels and TN*WG input channels; each invocation
// TM x TN of them (input channels WG apart). With the tap fixed per workgroup, the padding is
// the same for every channel: the loops run over the (oh, ow) range whose inputs exist, with no
// per-element bound tests or divisions. Chunks after the first add to dweight (the '.add' variant).
// The positions (image, oh, ow) in the valid range are one flat loop: SwiftShader pays for every
// loop entry, and late layers have one or two positions per row (interleaved A/B, batch 8, 64 px:
// layer4 174 -> 62 ms, layer3 98 -> 60, layer2 60 -> 44, layer1 82 -> 68 against the loop nest).
// xOff/dyOff: element offsets of the chunk inside its 256-byte-aligned binding.
// With 4-lane subgroups, the dy values every lane needs are loaded once per subgroup and shared by
// subgroupBroadcast (generated in src/kernels/conv2d.ts).
{{ENABLE}}
struct Params {
  Co: u32, C: u32, H: u32, W: u32,
  Ho: u32, Wo: u32, kh: u32, kw: u32,
  stride: u32, pad: u32, images: u32, xOff: u32,
  dyOff: u32, _unused: u32, mTiles: u32, cTiles: u32,
  tapBase: u32, tapCount: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

// First and one-past-last output index whose input index o*s + off lies in [0, size).
fn validRange(off: i32, size: u32, outSize: u32) -> vec2u {
  let s = i32(P.stride);
  let lo = select(0, (-off + s - 1) / s, off < 0);
  let last = i32(size) - 1 - off;
  let hi = select(0, min(i32(outSize), last / s + 1), last >= 0);
  return vec2u(u32(lo), u32(max(hi, lo)));
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32{{LANEARG}}) {
  // Tiles are numbered linearly (input-channel tiles fastest, then output channels, then taps).
  let t = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let cTile = t % P.cTiles;
  let rest = t / P.cTiles;
  let mTile = rest % P.mTiles;
  // Taps [tapBase, tapBase + tapCount): the caller skips taps that see no input at all.
  let tapRel = rest / P.mTiles;
  if (tapRel >= P.tapCount) { return; }
  let tap = P.tapBase + tapRel;
  let khw = P.kh * P.kw;
  let ky = tap / P.kw;
  let kx = tap - ky * P.kw;
  let m0 = mTile * {{TM}}u;
  let c0 = cTile * {{CSPAN}}u + lid;
  let hw = P.H * P.W;
  let hwo = P.Ho * P.Wo;
  let s = P.stride;
  let offH = i32(ky) - i32(P.pad);
  let offW = i32(kx) - i32(P.pad);
  let rh = validRange(offH, P.H, P.Ho);
  let rw = validRange(offW, P.W, P.Wo);
  // Rows and channels past the end read the last one (valid memory) and are not stored.
  let lastM = P.Co - 1u;
  let lastC = P.C - 1u;
{{ROWDECL}}
{{COLDECL}}
{{ACCDECL}}
  // One flat loop over (image, oh, ow) in the valid range: SwiftShader pays per loop entry, and
  // late layers have one or two positions per row.
  let nw = rw.y - rw.x;
  let total = P.images * (rh.y - rh.x) * nw;
  let dyRow = P.Wo - nw;
  let xRow = s * P.W - s * nw;
  let dyImg = P.Co * hwo - (rh.y - rh.x) * P.Wo;
  let xImg = P.C * hw - (rh.y - rh.x) * s * P.W;
  var dyi = P.dyOff + rh.x * P.Wo + rw.x;
  var xi = P.xOff + u32(i32(rh.x * s) + offH) * P.W + u32(i32(rw.x * s) + offW);
  var ow = 0u;
  var oh = rh.x;
  // The body (generated in src/kernels/conv2d.ts): loads at (dyi, xi), the step to the next
  // position, then the multiply-adds; it has no branch.
  for (var q = 0u; q < total; q++) {
{{BODY}}
  }
{{STORE}}
}
