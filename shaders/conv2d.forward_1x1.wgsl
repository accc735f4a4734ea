// conv2d forward, 1x1 kernel without padding (pass code for conv2d.gemm_tiled.wgsl, the GPU variant): a plain
// GEMM over channels with no padding tests and no (ky, kx) bookkeeping.
// x: (N, C, H, W)  weight: (Cout, C, 1, 1)  bias: (Cout)  y: (N, Cout, Ho, Wo), f32 NCHW.
// m = output channel, n = (image, oh, ow), k = c: A[m, k] = weight[m, k], B[k, n] = x[image, k, oh*s, ow*s].

struct Params {
  M: u32, N: u32, K: u32, C: u32,
  H: u32, W: u32, Ho: u32, Wo: u32,
  kh: u32, kw: u32, stride: u32, pad: u32,
  xOff: u32, yOff: u32, hasBias: u32, _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

struct KInfo { ok: bool, k: u32, cOff: u32 }

fn kInfo(k: u32) -> KInfo {
  return KInfo(k < P.K, k, k * P.H * P.W);
}

struct NInfo { ok: bool, xIdx: u32, yBase: u32 }

fn nInfo(n: u32) -> NInfo {
  let hw = P.Ho * P.Wo;
  let b = n / hw;
  let r = n - b * hw;
  let oh = r / P.Wo;
  let ow = r - oh * P.Wo;
  return NInfo(n < P.N, P.xOff + b * P.C * P.H * P.W + oh * P.stride * P.W + ow * P.stride, P.yOff + b * P.M * hw + r);
}

fn loadA(m: u32, ki: KInfo) -> f32 {
  let ok = m < P.M && ki.ok;
  return select(0.0, w[select(0u, m * P.K + ki.k, ok)], ok);
}

fn loadB(ki: KInfo, ni: NInfo) -> f32 {
  let ok = ni.ok && ki.ok;
  return select(0.0, x[select(0u, ni.xIdx + ki.cOff, ok)], ok);
}

// Staging order for the 128 x 128 engine (neighbouring invocations on neighbouring addresses):
// A = weight rows (k contiguous); B = x along positions.
const A_K_FAST = true;
const B_K_FAST = false;

// One split over all of k.
fn kPerSplit() -> u32 { return P.K; }

fn storeC(m: u32, ni: NInfo, v: f32, s: u32) {
  if (ni.ok && m < P.M) {
    var r = v;
    if (P.hasBias != 0u) { r += bias[m]; }
    y[ni.yBase + m * P.Ho * P.Wo] = r;
  }
}
