// conv2d backward to the weight as implicit GEMM (pass code for conv2d.gemm_tiled.wgsl, the GPU variant).
// x: (N, C, H, W)  dy: (N, Cout, Ho, Wo)  dweight: (Cout, C, kh, kw), f32 NCHW.
// m = output channel o, n = (c, ky, kx), k = (image, oh, ow) within this batch chunk:
// A[m, k] = dy[image, m, oh, ow], B[k, n] = x[image, c, oh*s - p + ky, ow*s - p + kx] (0 in the padding).
// Batch chunks after the first add to dweight (accumulate = 1); the first overwrites it.
// Split-K (kSplit > 0, src/kernels/conv2d.ts chooses it when the M x N tiles are few): each split
// writes its own partial sums (accumulate = 0), and reduce.column_sum.wgsl adds them up into dweight.
// xOff/dyOff: element offsets of the chunk inside its 256-byte-aligned binding.

struct Params {
  M: u32, N: u32, K: u32, C: u32,
  H: u32, W: u32, Ho: u32, Wo: u32,
  kh: u32, kw: u32, stride: u32, pad: u32,
  xOff: u32, dyOff: u32, accumulate: u32, kSplit: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

// dyIdx: index of dy[image, 0, oh, ow]; xBase: index of x[image, 0, 0, 0].
struct KInfo { ok: bool, k: u32, ow: u32, oh: u32, dyIdx: u32, xBase: u32, hi0: i32, wi0: i32 }

fn kInfo(k: u32) -> KInfo {
  let hw = P.Ho * P.Wo;
  let b = k / hw;
  let r = k - b * hw;
  let oh = r / P.Wo;
  let ow = r - oh * P.Wo;
  return KInfo(k < P.K, k, ow, oh, P.dyOff + b * P.M * hw + r, P.xOff + b * P.C * P.H * P.W,
               i32(oh * P.stride) - i32(P.pad), i32(ow * P.stride) - i32(P.pad));
}

struct NInfo { ok: bool, n: u32, cOff: u32, ky: i32, kx: i32 }

fn nInfo(n: u32) -> NInfo {
  let khw = P.kh * P.kw;
  let c = n / khw;
  let r = n - c * khw;
  let ky = r / P.kw;
  return NInfo(n < P.N, n, c * P.H * P.W, i32(ky), i32(r - ky * P.kw));
}

fn loadA(m: u32, ki: KInfo) -> f32 {
  let ok = m < P.M && ki.ok;
  return select(0.0, dy[select(0u, ki.dyIdx + m * P.Ho * P.Wo, ok)], ok);
}

fn loadB(ki: KInfo, ni: NInfo) -> f32 {
  let hi = ki.hi0 + ni.ky;
  let wi = ki.wi0 + ni.kx;
  let ok = ni.ok && ki.ok && hi >= 0 && hi < i32(P.H) && wi >= 0 && wi < i32(P.W);
  let idx = ki.xBase + ni.cOff + u32(hi) * P.W + u32(wi);
  return select(0.0, x[select(0u, idx, ok)], ok);
}

// Staging order for the 128 x 128 engine (neighbouring invocations on neighbouring addresses):
// A = dy and B = x, both along positions (k).
const A_K_FAST = true;
const B_K_FAST = true;

// kSplit 0: one split; else positions per split, and dw holds (splits, M, N) partial sums.
fn kPerSplit() -> u32 { return select(P.K, P.kSplit, P.kSplit != 0u); }

fn storeC(m: u32, ni: NInfo, v: f32, s: u32) {
  if (ni.ok && m < P.M) {
    let i = (s * P.M + m) * P.N + ni.n;
    if (P.accumulate != 0u) { dw[i] = dw[i] + v; } else { dw[i] = v; }
  }
}
