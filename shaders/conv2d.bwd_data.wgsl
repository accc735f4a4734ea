// conv2d backward to the input, step 1 of 2 (pass code for conv2d.gemm_tiled.wgsl, the GPU variant): the column
// gradient dcol = weight^T * dy, a plain GEMM with no padding tests or stride divisions.
// dy: (N, Cout, Ho, Wo)  weight: (Cout, C, kh, kw)  dcol: (C*kh*kw, Nc*Ho*Wo) for this chunk's Nc images.
// m = (c, ky, kx), n = (image, oh, ow), k = o: A[m, k] = weight[k, m], B[k, n] = dy[image, k, oh, ow].
// conv2d.col2im.wgsl then gathers dcol into dx.

struct Params {
  M: u32, N: u32, K: u32, hw: u32,
  dyOff: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dcol: array<f32>;

struct KInfo { ok: bool, k: u32, dyC: u32 }

fn kInfo(k: u32) -> KInfo {
  return KInfo(k < P.K, k, k * P.hw);
}

struct NInfo { ok: bool, n: u32, dyIdx: u32 }

fn nInfo(n: u32) -> NInfo {
  let b = n / P.hw;
  return NInfo(n < P.N, n, P.dyOff + b * P.K * P.hw + (n - b * P.hw));
}

fn loadA(m: u32, ki: KInfo) -> f32 {
  let ok = m < P.M && ki.ok;
  return select(0.0, w[select(0u, ki.k * P.M + m, ok)], ok);
}

fn loadB(ki: KInfo, ni: NInfo) -> f32 {
  let ok = ni.ok && ki.ok;
  return select(0.0, dy[select(0u, ni.dyIdx + ki.dyC, ok)], ok);
}

// Staging order for the 128 x 128 engine (neighbouring invocations on neighbouring addresses):
// A = weight read transposed (m contiguous); B = dy along positions.
const A_K_FAST = false;
const B_K_FAST = false;

// One split over all of k.
fn kPerSplit() -> u32 { return P.K; }

fn storeC(m: u32, ni: NInfo, v: f32, s: u32) {
  if (ni.ok && m < P.M) {
    dcol[m * P.N + ni.n] = v;
  }
}
