// Backward per-plane sums over the (n, c) planes of a batch chunk (entries `tree` and `rows`
// from lib/batchnorm_plane_sums.wgsl, as batchnorm.plane_sums.wgsl).
// dy, x, y: (nb, C, H, W) from element params.off (y: the fused ReLU output; when RELU = 0 the
// wrapper binds dy there and it is not used); saveMean, saveInvstd: (C); partial: (N, C, 2).
// partial[n, c] = (sum g, sum g * xhat) with g = dy masked by y > 0, xhat = (x - mean) * invstd.

// RELU, dy @1, x @2, y @3, grad(k):
#include "batchnorm_bwd_inputs"
@group(0) @binding(4) var<storage, read> saveMean: array<f32>;
@group(0) @binding(5) var<storage, read> saveInvstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

struct PlaneCtx {
  m: f32,
  inv: f32,
}

fn planeCtx(plane: u32) -> PlaneCtx {
  let c = plane % params.c;
  return PlaneCtx(saveMean[c], saveInvstd[c]);
}

fn term(k: u32, ctx: PlaneCtx) -> vec2f {
  let g = grad(k);
  return vec2f(g, g * (x[k] - ctx.m) * ctx.inv);
}

// Params, the uniform binding, store(), entries tree and rows:
#include "batchnorm_plane_sums"
