// Direct conv2d with register tiles, the SwiftShader variant of the forward pass (and of backward
// to the input for stride-1 square kernels, as a conv of dy with the flipped, transposed weight).
// x: (N, Cin, H, W)  weight: read as w[m * rowStride + c * chanStride + tap]  bias: (M)  y: (N, M, Ho, Wo), f32.
// forward:   x = x, M = Cout, rowStride = Cin*kh*kw, chanStride = kh*kw, tap = ky*kw + kx.
// transpose: x = dy (N, Cout, Ho, Wo), y = dx, M = Cin, Cin := Cout, rowStride = kh*kw,
//            chanStride = Cin*kh*kw, tap = kh*kw-1 - (ky*kw + kx) (flip = 1), pad := k-1-pad.
// batched:   `batch` independent problems of these sizes (the 16 GEMMs of a Winograd conv, as 1x1
//            convs): problem e reads x from xOff + e*xBatch, w from we*wBatch and writes y from
//            yOff + e*yBatch, where we = e, or with `permute` the element (i, j) = (e/4, e%4) with
//            0 and 3 swapped in both (the transform of the flipped filter, for dx).
// Each invocation owns TM output channels x TN output positions: positions WG apart (lanes along
// positions), or, for few positions, channels WG apart and TN contiguous positions. Neighbouring
// invocations read neighbouring x (SwiftShader vectorises those loads; the weight load is the
// same address for the whole group). Taps are the outer loops: their padding tests and address
// set-up run once per tap, and the inner loop over channels is a plain GEMM step with no
// divisions or bound tests. xOff/yOff: element offsets of the chunk inside its binding.
// The channel loop is generated in src/kernels/conv2d.ts. With subgroups of exactly 4 lanes, a
// value that every lane of a subgroup needs (a weight when lanes run along positions, an input
// when they run along output channels) is loaded by one lane for four rows or columns and shared
// by subgroupBroadcast instead of being loaded by every lane.
{{ENABLE}}
struct Params {
  M: u32, N: u32, C: u32, H: u32,
  W: u32, Ho: u32, Wo: u32, kh: u32,
  kw: u32, stride: u32, pad: u32, xOff: u32,
  yOff: u32, hasBias: u32, rowStride: u32, chanStride: u32,
  flip: u32, batch: u32, xBatch: u32, yBatch: u32,
  wBatch: u32, permute: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32{{LANEARG}}) {
  // Tiles are numbered linearly (column tiles fastest) over a grid folded into x, y, z.
  let nTiles = (P.N + {{NSPAN}}u - 1u) / {{NSPAN}}u;
  let perProblem = nTiles * ((P.M + {{MSPAN}}u - 1u) / {{MSPAN}}u);
  let t0 = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let e = t0 / perProblem;
  if (e >= P.batch) { return; }
  let t = t0 - e * perProblem;
  let xOff = P.xOff + e * P.xBatch;
  let yOff = P.yOff + e * P.yBatch;
  let ei = e >> 2u;
  let ej = e & 3u;
  let we = select(e, 4u * select(ei, 3u - ei, ei == 0u || ei == 3u) + select(ej, 3u - ej, ej == 0u || ej == 3u), P.permute != 0u);
  let mTile = t / nTiles;
  let nTile = t - mTile * nTiles;
  let m0 = mTile * {{MSPAN}}u;
  if (m0 >= P.M) { return; }
  let hwo = P.Ho * P.Wo;
  let images = P.N / hwo;
  let hwi = P.H * P.W;
  let C = P.C;
  let chanStride = P.chanStride;
  let H = i32(P.H);
  let W = i32(P.W);
  // Per column group g (4 output positions n, WG apart): image base in x, top-left input
  // coordinate, and whether the position exists.
{{COLDECL}}
  // Rows past M read row M-1 (valid memory) and are not stored.
  let lastM = P.M - 1u;
{{ROWDECL}}
{{ACCDECL}}
  let khw = P.kh * P.kw;
  for (var ky = 0u; ky < P.kh; ky++) {
{{ROWOK}}
    for (var kx = 0u; kx < P.kw; kx++) {
      // Taps in the padding read element 0 (valid memory) and count as 0.
{{TAPDECL}}
      // A tap wholly in the padding for this invocation's columns costs nothing.
{{TAPSKIP}}
      let tap = ky * P.kw + kx;
      var wk = select(tap, khw - 1u - tap, P.flip != 0u) + we * P.wBatch;
{{CLOOP}}
    }
  }
{{STORE}}
}
