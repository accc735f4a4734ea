// gemm_tiles: how the shared-memory conv GEMM engines (conv2d.gemm_tiled*.wgsl) number their
// work. Workgroups are numbered linearly over a grid folded into (x, y, z); workgroup t0 takes
// split s = t0 / tiles and, within it, the bm x bn output tile t0 % tiles (column tiles fastest).
// Split s sums k in [s * kPerSplit(), (s + 1) * kPerSplit()), the last split ending at K; the pass
// defines P.M, P.N, P.K and kPerSplit() (a multiple of both engines' k depth, or K).
// ok is false for the workgroups past the last split (the fold's excess), and it is uniform per
// workgroup, so an early return on it skips no barrier for part of a workgroup.
struct GemmTile {
  ok: bool,
  split: u32,
  kBegin: u32,
  kEnd: u32,
  m0: u32,
  n0: u32,
}

fn gemmTile(wid: vec3u, nwg: vec3u, bm: u32, bn: u32) -> GemmTile {
  let t0 = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let nTiles = (P.N + bn - 1u) / bn;
  let tiles = nTiles * ((P.M + bm - 1u) / bm);
  let kps = kPerSplit();
  let s = t0 / tiles;
  let kBegin = s * kps;
  let t = t0 - s * tiles;
  let mTile = t / nTiles;
  return GemmTile(kBegin < P.K, s, kBegin, min(P.K, kBegin + kps), mTile * bm, (t - mTile * nTiles) * bn);
}
