// winograd_tiles: how the Winograd F(2x2, 3x3) kernels number their work. Workgroups of 64 over a
// grid folded into (x, y, z) give each invocation a linear index; tile n = (image * tilesH + ty) *
// tilesW + tx covers outputs (2*ty .. 2*ty+1, 2*tx .. 2*tx+1) of that image.
fn linearIndex(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * 64u + lid;
}

struct Tile {
  image: u32,
  // Top-left output coordinate.
  oh: u32,
  ow: u32,
}

fn tileAt(n: u32, tiles: u32, tilesW: u32) -> Tile {
  let image = n / tiles;
  let t = n - image * tiles;
  let ty = t / tilesW;
  return Tile(image, 2u * ty, 2u * (t - ty * tilesW));
}
