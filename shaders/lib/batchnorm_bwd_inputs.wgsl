// batchnorm_bwd_inputs: the inputs every batchnorm backward pass reads per element, with the
// fused ReLU: override RELU, bindings dy @1, x @2, y @3 (y: the ReLU output; when RELU = 0 the
// wrapper binds dy there and it is not read), and grad(k) = dy[k], masked by y[k] > 0 when
// RELU = 1.
override RELU: u32 = 0u;

@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;

fn grad(k: u32) -> f32 {
  var g = dy[k];
  if (RELU == 1u) {
    g = select(0.0, g, y[k] > 0.0);
  }
  return g;
}
