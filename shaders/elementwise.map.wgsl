// Elementwise map template: out[i] = f(a[i], b[i], s) over `count` elements of flat f32 tensors.
// a, b, out: (count) f32, any shape flattened; each starts `off*` elements into its binding
// (bindings begin at 256-byte boundaries, so the remainder travels as a uniform).
// The BINDINGS placeholder declares the variant's storage buffers; BODY writes out[offOut + i].
// Grid: ceil(count / 1024) workgroups of 256 invocations.

struct Params {
  count: u32,
  offA: u32,
  offB: u32,
  offOut: u32,
  s: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
{{BINDINGS}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // Four neighbouring elements per invocation: SwiftShader pays per invocation about what it
  // pays for a few accesses. Each is tested on its own (an in-place op must not run twice).
  let i0 = ((wid.x + wid.y * nwg.x) * 256u + lid) * 4u;
  if (i0 >= params.count) {
    return;
  }
  { let i = i0; {{BODY}} }
  { let i = i0 + 1u; if (i < params.count) { {{BODY}} } }
  { let i = i0 + 2u; if (i < params.count) { {{BODY}} } }
  { let i = i0 + 3u; if (i < params.count) { {{BODY}} } }
}
