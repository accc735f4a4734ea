// Per-plane sums for batch statistics over the (n, c) planes of a batch chunk.
// x: (nb, C, H, W) f32 from element params.off; shift: (C); partial: (N, C, 2) f32.
// partial[n, c] = (sum (x - shift[c]), sum (x - shift[c])^2) over the plane's H*W elements.
// With shift = 0 this gives the mean (pass one); with shift = mean, the corrected variance
// (pass two). Entries `tree` and `rows` come from lib/batchnorm_plane_sums.wgsl.

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

struct PlaneCtx {
  m: f32,
}

fn planeCtx(plane: u32) -> PlaneCtx {
  return PlaneCtx(shift[plane % params.c]);
}

fn term(k: u32, ctx: PlaneCtx) -> vec2f {
  let d = x[k] - ctx.m;
  return vec2f(d, d * d);
}

// Params, the uniform binding, store(), entries tree and rows:
#include "batchnorm_plane_sums"
