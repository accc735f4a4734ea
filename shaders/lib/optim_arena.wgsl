// optim_arena: what every optimiser update shares: the parameter arena p at @binding(1) and the
// gradient arena g at @binding(2), one vec4 per invocation, and trainable(i), the bound and
// frozen-block check of vec4 i. The including shader declares params.count4,
// params.blockOffset and the `mask` binding.
@group(0) @binding(1) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g: array<vec4<f32>>;

fn trainable(i: u32) -> bool {
  // 16 vec4s = 64 floats = one mask block; && keeps the mask read in range.
  return i < params.count4 && mask[params.blockOffset + i / 16u] != 0u;
}
