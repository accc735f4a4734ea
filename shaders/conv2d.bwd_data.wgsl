// conv2d backward to the input as implicit GEMM (pass code for a conv2d.gemm_* engine).
// dy: (N, Cout, Ho, Wo)  weight: (Cout, C, kh, kw)  dx: (N, C, H, W), f32 NCHW.
// m = input channel c, n = (image, h, w) within this batch chunk, k = (o, ky, kx):
// A[m, k] = weight[o, m, ky, kx], B[k, n] = dy[image, o, (h + p - ky)/s, (w + p - kx)/s] where that
// division is exact and lands inside dy, else 0. Every dx element is written (zeros included).
// dyOff/dxOff: element offsets of the chunk inside its 256-byte-aligned binding.

struct Params {
  M: u32, N: u32, K: u32, Cout: u32,
  H: u32, W: u32, Ho: u32, Wo: u32,
  kh: u32, kw: u32, stride: u32, pad: u32,
  dyOff: u32, dxOff: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// wOff: index of weight[o, 0, ky, kx]; dyC: offset of channel o in one dy image.
struct KInfo { ok: bool, k: u32, wOff: u32, dyC: u32, ky: i32, kx: i32 }

fn kInfo(k: u32) -> KInfo {
  let khw = P.kh * P.kw;
  let o = k / khw;
  let r = k - o * khw;
  let ky = r / P.kw;
  return KInfo(k < P.K, k, o * P.M * khw + r, o * P.Ho * P.Wo, i32(ky), i32(r - ky * P.kw));
}

fn kNext(ki: KInfo) -> KInfo {
  var n = ki;
  n.k += 1u;
  n.kx += 1;
  n.wOff += 1u;
  if (u32(n.kx) == P.kw) {
    n.kx = 0;
    n.ky += 1;
    if (u32(n.ky) == P.kh) {
      n.ky = 0;
      n.dyC += P.Ho * P.Wo;
      n.wOff += (P.M - 1u) * P.kh * P.kw;
    }
  }
  n.ok = n.k < P.K;
  return n;
}

struct NInfo { ok: bool, dyBase: u32, hp: i32, wp: i32, dxIdx: u32 }

fn nInfo(n: u32) -> NInfo {
  let hw = P.H * P.W;
  let b = n / hw;
  let r = n - b * hw;
  let h = r / P.W;
  let wc = r - h * P.W;
  return NInfo(n < P.N, P.dyOff + b * P.Cout * P.Ho * P.Wo, i32(h + P.pad), i32(wc + P.pad), P.dxOff + b * P.M * hw + r);
}

fn loadA(m: u32, ki: KInfo) -> f32 {
  let ok = m < P.M && ki.ok;
  return select(0.0, w[select(0u, ki.wOff + m * P.kh * P.kw, ok)], ok);
}

fn loadB(ki: KInfo, ni: NInfo) -> f32 {
  let th = ni.hp - ki.ky;
  let tw = ni.wp - ki.kx;
  var oh = u32(th);
  var ow = u32(tw);
  var exact = true;
  if (P.stride != 1u) {
    oh = oh / P.stride;
    ow = ow / P.stride;
    exact = oh * P.stride == u32(th) && ow * P.stride == u32(tw);
  }
  let ok = ni.ok && ki.ok && th >= 0 && tw >= 0 && exact && oh < P.Ho && ow < P.Wo;
  let idx = ni.dyBase + ki.dyC + oh * P.Wo + ow;
  return select(0.0, dy[select(0u, idx, ok)], ok);
}

fn storeC(m: u32, ni: NInfo, v: f32) {
  if (ni.ok && m < P.M) {
    dx[ni.dxIdx + m * P.H * P.W] = v;
  }
}
