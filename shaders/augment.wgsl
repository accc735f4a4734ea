// augment: one affine resampling pass plus colour change, then ImageNet normalisation
// (see src/reference/resample.ts augmentReference).
// base: (N, 3, S, S) f32 in [0, 1]; params: (N, 8) f32 [a, b, c, d, e, f, brightness, contrast]
// out: (N, 3, S, S) f32 normalised
// Source of output pixel (x, y): (a (x+.5) + b (y+.5) + c - .5, d (x+.5) + e (y+.5) + f - .5),
// bilinear, zero outside the image.

struct Params {
  count: u32,
  size: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> base: array<f32>;
@group(0) @binding(2) var<storage, read> aug: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const MEAN = vec3f(0.485, 0.456, 0.406);
const STD = vec3f(0.229, 0.224, 0.225);

fn texel(img: u32, x: i32, y: i32) -> vec3f {
  let s = i32(params.size);
  if (x < 0 || y < 0 || x >= s || y >= s) { return vec3f(0.0); }
  let plane = params.size * params.size;
  let i = img * 3u * plane + u32(y) * params.size + u32(x);
  return vec3f(base[i], base[i + plane], base[i + 2u * plane]);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.y;
  if (n >= params.count) { return; }
  let s = params.size;
  let idx = wid.x * 64u + lid;
  if (idx >= s * s) { return; }
  let x = f32(idx % s) + 0.5;
  let y = f32(idx / s) + 0.5;
  let p = n * 8u;
  let sx = aug[p] * x + aug[p + 1u] * y + aug[p + 2u] - 0.5;
  let sy = aug[p + 3u] * x + aug[p + 4u] * y + aug[p + 5u] - 0.5;
  let x0 = floor(sx);
  let y0 = floor(sy);
  let fx = sx - x0;
  let fy = sy - y0;
  let ix = i32(x0);
  let iy = i32(y0);
  let v = (1.0 - fy) * ((1.0 - fx) * texel(n, ix, iy) + fx * texel(n, ix + 1, iy))
        + fy * ((1.0 - fx) * texel(n, ix, iy + 1) + fx * texel(n, ix + 1, iy + 1));
  let c = clamp((v * aug[p + 6u] - 0.5) * aug[p + 7u] + 0.5, vec3f(0.0), vec3f(1.0));
  let o = (c - MEAN) / STD;
  let plane = s * s;
  let i = n * 3u * plane + idx;
  out[i] = o.x;
  out[i + plane] = o.y;
  out[i + 2u * plane] = o.z;
}
