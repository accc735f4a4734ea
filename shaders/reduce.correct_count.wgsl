// Correctly classified rows: how many rows' argmax (argmax_rows' rule: the first maximum wins, a
// NaN is the maximum) equals the row's label. logits: (rows, K) f32 from xOff; labels: (rows) i32
// from labelOff; out: one f32 at outOff, written (accumulate 0) or added to (accumulate 1). The
// count is stored as f32 so it can sit next to the f32 loss and come back in the same readback;
// it is exact up to 2^24 rows.
struct Params {
  rows: u32,
  k: u32,
  xOff: u32,
  labelOff: u32,
  outOff: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<u32, 64>;

#include "row_argmax"

// One workgroup: a training batch has a few hundred rows at most, so each invocation walks a
// strided share of them and one tree sums the 64 partial counts.
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  var count = 0u;
  for (var row = lid; row < params.rows; row += 64u) {
    if (i32(argmaxRow(params.xOff + row * params.k, params.k)) == labels[params.labelOff + row]) {
      count++;
    }
  }
  partial[lid] = count;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var total = f32(partial[0]);
    if (params.accumulate != 0u) {
      total += out[params.outOff];
    }
    out[params.outOff] = total;
  }
}
