// autocrop: finds each image's crop box from its intensity profiles (see src/reference/autocrop.ts).
// pixels: packed RGBA8 u32, image n at table[n*8] words, (H, W) row-major
// table: (N, 8) u32 [pixelOffset, W, H, tmpOffset, profileOffset, outputSlot, 0, 0]
// profiles: scratch u32, image n uses W + H words at profileOffset
// boxes: (N, 4) u32 [x, y, width, height]
// One workgroup per image: profile sums are integers, so the box equals the reference exactly.

struct Params {
  count: u32,
  mode: u32,        // 0 seed, 1 bbox, 2 none
  ignore: u32,
  fraction: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> profiles: array<u32>;
@group(0) @binding(4) var<storage, read_write> boxes: array<u32>;

const WG: u32 = 256u;

var<workgroup> maxX: atomic<u32>;
var<workgroup> maxY: atomic<u32>;
var<workgroup> firstX: atomic<u32>;
var<workgroup> lastX: atomic<u32>;
var<workgroup> firstY: atomic<u32>;
var<workgroup> lastY: atomic<u32>;

fn intensity(base: u32, w: u32, x: u32, y: u32) -> u32 {
  let p = pixels[base + y * w + x];
  return (p & 0xffu) + ((p >> 8u) & 0xffu) + ((p >> 16u) & 0xffu);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x + wid.y * nwg.x;
  if (n >= params.count) { return; }
  let base = table[n * 8u];
  let w = table[n * 8u + 1u];
  let h = table[n * 8u + 2u];
  let poff = table[n * 8u + 4u];
  if (lid == 0u) {
    atomicStore(&maxX, 0u);
    atomicStore(&maxY, 0u);
    atomicStore(&firstX, 0xffffffffu);
    atomicStore(&lastX, 0u);
    atomicStore(&firstY, 0xffffffffu);
    atomicStore(&lastY, 0u);
  }
  workgroupBarrier();

  let bbox = params.mode == 1u;
  // Profiles and their maxima over [ignore, len - ignore). Each invocation later rereads only
  // the samples it wrote itself, so no storage barrier is needed between the phases.
  for (var x = lid; x < w; x += WG) {
    var v = 0u;
    if (bbox) {
      for (var y = params.ignore; y + params.ignore < h; y++) { v = max(v, intensity(base, w, x, y)); }
    } else {
      v = intensity(base, w, x, h / 2u);
    }
    profiles[poff + x] = v;
    if (x >= params.ignore && x + params.ignore < w) { atomicMax(&maxX, v); }
  }
  for (var y = lid; y < h; y += WG) {
    var v = 0u;
    if (bbox) {
      for (var x = params.ignore; x + params.ignore < w; x++) { v = max(v, intensity(base, w, x, y)); }
    } else {
      v = intensity(base, w, w / 2u, y);
    }
    profiles[poff + w + y] = v;
    if (y >= params.ignore && y + params.ignore < h) { atomicMax(&maxY, v); }
  }
  workgroupBarrier();

  let thrX = params.fraction * f32(atomicLoad(&maxX));
  let thrY = params.fraction * f32(atomicLoad(&maxY));
  for (var x = lid; x < w; x += WG) {
    if (x >= params.ignore && x + params.ignore < w && f32(profiles[poff + x]) > thrX) {
      atomicMin(&firstX, x);
      atomicMax(&lastX, x);
    }
  }
  for (var y = lid; y < h; y += WG) {
    if (y >= params.ignore && y + params.ignore < h && f32(profiles[poff + w + y]) > thrY) {
      atomicMin(&firstY, y);
      atomicMax(&lastY, y);
    }
  }
  workgroupBarrier();

  if (lid == 0u) {
    var bx = 0u;
    var by = 0u;
    var bw = w;
    var bh = h;
    let fx = atomicLoad(&firstX);
    let fy = atomicLoad(&firstY);
    // A blank profile (max 0) has no sample above 0, so it keeps the full extent.
    if (params.mode != 2u && fx != 0xffffffffu) { bw = atomicLoad(&lastX) - fx + 1u; bx = fx; }
    if (params.mode != 2u && fy != 0xffffffffu) { bh = atomicLoad(&lastY) - fy + 1u; by = fy; }
    if (params.mode == 0u) {
      bx = (w - bw) / 2u;
      by = (h - bh) / 2u;
    }
    boxes[n * 4u] = bx;
    boxes[n * 4u + 1u] = by;
    boxes[n * 4u + 2u] = bw;
    boxes[n * 4u + 3u] = bh;
  }
}
