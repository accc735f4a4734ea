// conv2d: forward, backward to input, weight and bias on the GPU.
// x: (N, C, H, W)  weight: (Cout, C, kh, kw)  bias: (Cout)  y: (N, Cout, Ho, Wo), f32 NCHW.
//
// Three variants, chosen in `conv2dVariant` only:
// - 'tiled' (real GPUs): implicit GEMMs, pass code (shaders/conv2d.<pass>.wgsl) plugged into the
//   shared-memory engine conv2d.gemm_tiled.wgsl (64 x 64 tiles, 4 x 4 per invocation).
//   Backward-weight splits its k (the positions) when its weight-sized output has few tiles
//   (`tiledSplitK`), summing the partials after.
// - 'tiled128': the same passes in conv2d.gemm_tiled128.wgsl (128 x 128 tiles, 8 x 8 per
//   invocation, vec4 reads of workgroup memory). Not a default yet: it waits for a GPU
//   measurement against 'tiled' (bench --all-variants, --conv-variant; docs/gpu-machine.md).
// - 'registers' (SwiftShader): barrier-free register tiles. Forward is conv2d.direct_regs.wgsl (16
//   output channels x 8 positions per invocation, taps outer, channels inner; invocations along
//   positions, or along channels when there are < 32 positions); dx is the same kernel run on dy
//   with the flipped, transposed weight for stride-1 square kernels, else as a 1x1 direct conv
//   giving the column gradient, then col2im; dweight is conv2d.bwd_weight_regs.wgsl (one tap per
//   workgroup, 16 x 8 channel pairs per invocation), or conv2d.bwd_weight_rows.wgsl with < 16 input
//   channels (columns (c, kx) of one kernel row). Few-channel convs with larger kernels (conv1) run
//   forward and backward-weight as 1x1 convs over a column matrix (conv2d.im2col.wgsl). 3x3
//   stride-1 convs with 16+ channels on 4x4+ images (8x8+ for dweight) run by Winograd F(2x2, 3x3)
//   (conv2d.winograd_*.wgsl around 16 GEMMs in one batched dispatch of the direct kernel).
//
// Speed notes (SwiftShader 5.0.0 on 2 shared cores; more in docs/swiftshader-speed.md):
// - Cost model: every storage load with a computed index is an emulated gather (~7 ns per 4 lanes,
//   whatever the addresses), every accumulator update inside a loop a masked read-modify-write,
//   every loop entry a fixed cost. The direct kernel does 24 loads per 128 multiply-adds with no
//   test in the inner loop; with 4-lane subgroups the values every lane needs (weights when lanes
//   run along positions) are loaded once per lane for 4 rows and shared by subgroupBroadcast
//   (forward 1.2-1.5x). Backward-weight runs one flat loop over positions (late layers have 1-2
//   per row: layer4 174 -> 62 ms) and no workgroups for taps that see only padding.
// - Tiles (GFLOP per CPU-s, +-30 % noise): 16x8 with 16 lanes stays the default; 8x8, 16x4, 24x4,
//   32x4, 32x8 are within noise. Tried and dropped: unrolling or chaining 2-8 channels per
//   accumulator update (spills: 1.5x slower), compile-time weight offsets (59 s compiles, 4x
//   slower), a compile-time stride in col2im, workgroups of 8/32 for the direct kernel.
// - Before -> after the direct kernels, one sitting (load 4-5), wall ms, fwd / dx / dweight:
//   conv1 7x7/2 634/656/592 -> 372/297/241; layer1 416/358/373 -> 266/155/168; layer2 725/313/472
//   -> 115/118/153; layer4 340/236/623 -> 109/133/466. Whole ResNet18 train step (64 px, batch 8):
//   20.5 s -> 10.4 s (load 3-5); then bounds checks off, broadcasts, flat loop: 6.5 -> 4.2-4.7 s.
import { bindRange, type RangeBinding } from './elementwise.js';
import { fillTensor } from './fill.js';
import { columnSumInto } from './reduce.js';
import type { Gpu } from '../gpu/runtime.js';
import { KernelFamily, kernelFromTemplate, kernelWithIncludes, type Kernel } from '../gpu/kernel.js';
import { Tensor, shapeString } from '../gpu/tensor.js';
import tiledEngine from '../../shaders/conv2d.gemm_tiled.wgsl';
import tiled128Engine from '../../shaders/conv2d.gemm_tiled128.wgsl';
import forwardPass from '../../shaders/conv2d.forward.wgsl';
import forward1x1Pass from '../../shaders/conv2d.forward_1x1.wgsl';
import bwdDataPass from '../../shaders/conv2d.bwd_data.wgsl';
import bwdWeightPass from '../../shaders/conv2d.bwd_weight.wgsl';
import col2imSource from '../../shaders/conv2d.col2im.wgsl';
import im2colSource from '../../shaders/conv2d.im2col.wgsl';
import bwdBiasSource from '../../shaders/conv2d.bwd_bias.wgsl';
import directRegsSource from '../../shaders/conv2d.direct_regs.wgsl';
import bwdWeightRegsSource from '../../shaders/conv2d.bwd_weight_regs.wgsl';
import bwdWeightRowsSource from '../../shaders/conv2d.bwd_weight_rows.wgsl';
import winogradInSource from '../../shaders/conv2d.winograd_in.wgsl';
import winogradOutSource from '../../shaders/conv2d.winograd_out.wgsl';
import winogradWSource from '../../shaders/conv2d.winograd_w.wgsl';
import winogradDySource from '../../shaders/conv2d.winograd_dy.wgsl';
import winogradDwSource from '../../shaders/conv2d.winograd_dw.wgsl';
import winogradTilesLib from '../../shaders/lib/winograd_tiles.wgsl';
import gemmTilesLib from '../../shaders/lib/gemm_tiles.wgsl';

export interface Conv2dParams {
  stride: number;
  padding: number;
}

export type Conv2dVariant = 'registers' | 'tiled' | 'tiled128';

/** Overrides for tests and benchmarks; production code passes nothing. */
export interface Conv2dOptions {
  /** Force a GEMM engine instead of the adapter's default. */
  variant?: Conv2dVariant;
  /** Cap on workgroups per dispatch dimension below the device's, to exercise folding in tests. */
  maxWorkgroupsPerDimension?: number;
  /** Lanes of the direct register kernel ('n' positions, 'm' output channels); tests force both. */
  lanes?: 'n' | 'm';
  /** Register tile of the 'registers' kernels (benchmarks tune it with this; tn a multiple of 4 for the direct and dweight kernels). */
  tile?: RegTile;
  /** Register variant: run few-channel, larger-than-1x1 convs through a column matrix (default true; false keeps the direct and row kernels). */
  columns?: boolean;
  /** Share lane-uniform operands through subgroup broadcasts (default; honoured only where subgroups have exactly 4 lanes). */
  bcast?: boolean;
  /** Register variant, 3x3 stride 1 padding 1: forward, dx and dweight by Winograd F(2x2, 3x3) (true: every such conv; false: none; default: GpuOptions.winograd, else see `viaWinograd`). */
  winograd?: boolean;
  /** 'tiled' variants, backward-weight: k (the batch's positions) cut into this many splits (1: none; default: see `tiledSplitK`). */
  splitK?: number;
}

/** The one place where the engine is chosen per adapter. */
export function conv2dVariant(gpu: Gpu, opts?: Conv2dOptions): Conv2dVariant {
  if (opts?.variant) return opts.variant;
  const forced = gpu.conv2dVariant;
  if (forced !== undefined) {
    if (!(CONV2D_VARIANTS as readonly string[]).includes(forced)) {
      throw new RangeError(`conv2d: unknown conv2d variant '${forced}' (known: ${CONV2D_VARIANTS.join(', ')})`);
    }
    return forced as Conv2dVariant;
  }
  return gpu.adapter.isSwiftShader ? 'registers' : 'tiled';
}

export const CONV2D_VARIANTS: readonly Conv2dVariant[] = ['registers', 'tiled', 'tiled128'];

export function conv2dOutputSize(h: number, w: number, kh: number, kw: number, p: Conv2dParams): [number, number] {
  return [Math.floor((h + 2 * p.padding - kh) / p.stride) + 1, Math.floor((w + 2 * p.padding - kw) / p.stride) + 1];
}

// ------------------------------------------------------------------ kernels

type PassName = 'forward' | 'forward_1x1' | 'bwd_data' | 'bwd_weight';
const PASS_SOURCE: Record<PassName, string> = {
  forward: forwardPass,
  forward_1x1: forward1x1Pass,
  bwd_data: bwdDataPass,
  bwd_weight: bwdWeightPass,
};

export interface RegTile {
  tm: number; // output rows (channels) per invocation
  tn: number; // columns per invocation, a multiple of 4
  wg: number; // invocations per workgroup, all along the columns
}

type GemmVariant = 'tiled' | 'tiled128';

/** Implicit-GEMM kernels of the 'tiled' and 'tiled128' variants, one per pass and engine. */
const gemmKernels = new KernelFamily<{ pass: PassName; engine: GemmVariant }>(({ pass, engine }): Kernel =>
  kernelFromTemplate(`conv2d.${pass}.${engine}`, engine === 'tiled' ? tiledEngine : tiled128Engine, { PASS: PASS_SOURCE[pass] }, undefined, undefined, { gemm_tiles: gemmTilesLib }),
);

interface DirectKey {
  tm: number;
  tn: number;
  wg: number;
  /** Along what the invocations of a workgroup run: output positions ('n', columns WG apart) or, for few positions, output channels ('m', rows WG apart, the TN columns contiguous). */
  lanes?: 'n' | 'm';
  /** Share the operand that every lane of a 4-lane subgroup needs through subgroupBroadcast (needs subgroups of exactly 4). */
  bcast?: boolean;
}

function lines(count: number, line: (g: number) => string): string {
  return Array.from({ length: count }, (_, g) => line(g)).join('\n');
}

const SUBGROUP_HEADER = 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);';

/** The register-tiled direct conv (SwiftShader): TM output channels x TN positions per invocation, vec4 accumulators. */
const directKernels = new KernelFamily<DirectKey>(({ tm, tn, wg, lanes = 'n', bcast = false }): Kernel => {
  if (tn % 4 !== 0 || tn < 4) throw new RangeError(`conv2d: register tile tn = ${tn} must be a positive multiple of 4`);
  if (bcast && lanes === 'n' && tm % 4 !== 0) throw new RangeError(`conv2d: subgroup broadcast of weights needs tm a multiple of 4, not ${tm}`);
  const groups = tn / 4;
  const byM = lanes === 'm';
  const row = (i: number): string => (byM ? `m0 + lid + ${i * wg}u` : `m0 + ${i}u`);
  const comps = ['x', 'y', 'z', 'w'];
  // One step of the channel loop: loads, then one multiply-add per accumulator.
  const bload = lines(groups, (g) =>
    bcast && byM
      ? `        let v_${g} = select(0.0, x[xl_${g}], okl_${g});\n` +
        `        let bv_${g} = vec4f(${comps.map((_, q) => `subgroupBroadcast(v_${g}, ${q}u)`).join(', ')});`
      : `        let bv_${g} = select(vec4f(0.0), vec4f(${comps.map((q) => `x[xi_${g}.${q}]`).join(', ')}), ok_${g});`,
  );
  const aload =
    bcast && !byM
      ? lines(tm / 4, (j) => `        let wl_${j}_v = w[wl_${j} + wk];`) + '\n' +
        lines(tm, (i) => `        let a_${i} = subgroupBroadcast(wl_${i >> 2}_v, ${i & 3}u);`)
      : lines(tm, (i) => `        let a_${i} = w[w_${i} + wk];`);
  const cloop = [
    // Lanes along channels share the columns: each lane loads one column of a group for all four.
    ...(bcast && byM ? [lines(groups, (g) => `      var xl_${g} = xi_${g}[sid];\n      let okl_${g} = ok_${g}[sid];`)] : []),
    '      for (var c = 0u; c < C; c++) {',
    bload,
    aload,
    lines(tm, (i) => lines(groups, (g) => `        acc_${i}_${g} += a_${i} * bv_${g};`)),
    lines(groups, (g) => (bcast && byM ? `        xl_${g} += hwi;` : `        xi_${g} += vec4u(hwi);`)),
    '        wk += chanStride;',
    '      }',
  ].join('\n');
  return kernelFromTemplate(`conv2d.direct.regs.${tm}x${tn}x${wg}${byM ? '.m' : ''}${bcast ? '.sg' : ''}`, directRegsSource, {
    ENABLE: bcast ? SUBGROUP_HEADER : '',
    LANEARG: bcast ? ', @builtin(subgroup_invocation_id) sid: u32' : '',
    WG: wg,
    MSPAN: byM ? tm * wg : tm,
    NSPAN: byM ? tn : tn * wg,
    COLDECL: lines(groups, (g) =>
      [
        byM
          ? `  let n_${g} = vec4u(nTile * ${tn}u + ${4 * g}u) + vec4u(0u, 1u, 2u, 3u);`
          : `  let n_${g} = vec4u(nTile * ${tn * wg}u + lid + ${4 * g * wg}u) + vec4u(0u, ${wg}u, ${2 * wg}u, ${3 * wg}u);`,
        `  let nOk_${g} = n_${g} < vec4u(P.N);`,
        // Lanes along channels: columns run position-major (images fastest), so an invocation's
        // contiguous columns share a position and whole taps in the padding are skipped.
        ...(byM
          ? [`  let r_${g} = n_${g} / vec4u(images);`, `  let b_${g} = n_${g} - r_${g} * images;`]
          : [`  let b_${g} = n_${g} / vec4u(hwo);`, `  let r_${g} = n_${g} - b_${g} * hwo;`]),
        `  let oh_${g} = r_${g} / vec4u(P.Wo);`,
        `  let ow_${g} = r_${g} - oh_${g} * P.Wo;`,
        `  let xBase_${g} = vec4i(b_${g} * C * hwi + xOff);`,
        `  let hi0_${g} = vec4i(oh_${g} * P.stride) - i32(P.pad);`,
        `  let wi0_${g} = vec4i(ow_${g} * P.stride) - i32(P.pad);`,
      ].join('\n'),
    ),
    ROWDECL: [
      lines(tm, (i) => `  let w_${i} = min(${row(i)}, lastM) * P.rowStride;`),
      ...(bcast && !byM ? [lines(tm / 4, (j) => `  let wl_${j} = min(m0 + ${4 * j}u + sid, lastM) * P.rowStride;`)] : []),
    ].join('\n'),
    ACCDECL: lines(tm, (i) => lines(groups, (g) => `  var acc_${i}_${g} = vec4f(0.0);`)),
    ROWOK: lines(groups, (g) =>
      [
        `    let hi_${g} = hi0_${g} + i32(ky);`,
        `    let rowOk_${g} = nOk_${g} & (hi_${g} >= vec4i(0)) & (hi_${g} < vec4i(H));`,
      ].join('\n'),
    ),
    // With broadcasts every lane of a subgroup must run the tap, so the skip is decided per subgroup.
    TAPSKIP: bcast && !byM
      ? `      if (!subgroupAny(${Array.from({ length: groups }, (_, g) => `any(ok_${g})`).join(' || ')})) { continue; }`
      : `      if (!(${Array.from({ length: groups }, (_, g) => `any(ok_${g})`).join(' || ')})) { continue; }`,
    TAPDECL: lines(groups, (g) =>
      [
        `      let wi_${g} = wi0_${g} + i32(kx);`,
        `      let ok_${g} = rowOk_${g} & (wi_${g} >= vec4i(0)) & (wi_${g} < vec4i(W));`,
        `      var xi_${g} = select(vec4u(0u), vec4u(xBase_${g} + hi_${g} * W + wi_${g}), ok_${g});`,
      ].join('\n'),
    ),
    CLOOP: cloop,
    STORE: [
      lines(groups, (g) => `  let yBase_${g} = vec4u(yOff) + b_${g} * P.M * hwo + r_${g};`),
      lines(tm, (i) =>
        [
          `  if (${row(i)} < P.M) {`,
          `    let bi = select(0.0, bias[${row(i)}], P.hasBias != 0u);`,
          `    let o = (${row(i)}) * hwo;`,
          lines(groups, (g) =>
            [
              `    let v_${g} = acc_${i}_${g} + bi;`,
              `    if (nOk_${g}.x) { y[yBase_${g}.x + o] = v_${g}.x; }`,
              `    if (nOk_${g}.y) { y[yBase_${g}.y + o] = v_${g}.y; }`,
              `    if (nOk_${g}.z) { y[yBase_${g}.z + o] = v_${g}.z; }`,
              `    if (nOk_${g}.w) { y[yBase_${g}.w + o] = v_${g}.w; }`,
            ].join('\n'),
          ),
          `  }`,
        ].join('\n'),
      ),
    ].join('\n'),
  });
});

/**
 * The backward-weight kernels' epilogue: for rows m0 + i that exist and columns whose `ok(g, q)`
 * holds, dw[index(i, g, q)] = acc_i_g.q, or += for chunks after the first (`add`). `add` is a
 * kernel variant, not a uniform: SwiftShader runs both sides of every if, so a run-time choice
 * paid a load and two stores per element (layer3 dweight at 32 px batch 2: see the speed doc).
 */
function dwStores(tm: number, groups: number, add: boolean, ok: (g: number, q: string) => string, index: (i: number, g: number, q: string) => string): string {
  return lines(tm, (i) =>
    [
      `  if (m0 + ${i}u < P.Co) {`,
      lines(groups, (g) =>
        ['x', 'y', 'z', 'w']
          .map(
            (q) =>
              `    if (${ok(g, q)}) { dw[${index(i, g, q)}] ${add ? '+=' : '='} acc_${i}_${g}.${q}; }`,
          )
          .join('\n'),
      ),
      `  }`,
    ].join('\n'),
  );
}

/** Backward-weight register kernel (SwiftShader): one tap per workgroup, TM output x TN input channels per invocation. */
const bwdWeightRegsKernels = new KernelFamily<DirectKey & { add: boolean }>(({ tm, tn, wg, bcast = false, add }): Kernel => {
  if (tn % 4 !== 0 || tn < 4) throw new RangeError(`conv2d: register tile tn = ${tn} must be a positive multiple of 4`);
  if (bcast && (tm % 4 !== 0 || wg % 4 !== 0)) throw new RangeError(`conv2d: subgroup broadcast of dy needs tm and wg multiples of 4, not ${tm}, ${wg}`);
  const groups = tn / 4;
  const bload = lines(groups, (g) => `        let bv_${g} = vec4f(x[xc_${g}.x + xi], x[xc_${g}.y + xi], x[xc_${g}.z + xi], x[xc_${g}.w + xi]);`);
  // dy rows are the same for every lane (lanes run along input channels): with broadcasts each
  // lane loads one of 4 rows and the subgroup shares them.
  // Every load of a position comes before the step to the next one, the multiply-adds after it.
  const dyLoad = bcast
    ? lines(tm / 4, (j) => `        let al_${j} = dy[rl_${j} + dyi];`)
    : lines(tm, (i) => `        let a_${i} = dy[r_${i} + dyi];`);
  const fma = lines(tm, (i) =>
    [
      ...(bcast ? [`        let a_${i} = subgroupBroadcast(al_${i >> 2}, ${i & 3}u);`] : []),
      ...Array.from({ length: groups }, (_, g) => `        acc_${i}_${g} += a_${i} * bv_${g};`),
    ].join('\n'),
  );
  // Next position (ow, then oh, then image) by selects, not ifs: a branch in the hot loop costs
  // SwiftShader masks and merges of every value live across it (layer1 dweight 21.9 -> 18.2 ms,
  // layer3 18.6 -> 15.6, interleaved minima at 64 px batch 8).
  const advance = [
    '    ow += 1u;',
    '    let rowEnd = ow == nw;',
    '    let ohNext = oh + select(0u, 1u, rowEnd);',
    '    let imgEnd = ohNext == rh.y;',
    '    ow = select(ow, 0u, rowEnd);',
    '    oh = select(ohNext, rh.x, imgEnd);',
    '    dyi += 1u + select(0u, dyRow, rowEnd) + select(0u, dyImg, imgEnd);',
    '    xi += s + select(0u, xRow, rowEnd) + select(0u, xImg, imgEnd);',
  ].join('\n');
  return kernelFromTemplate(`conv2d.bwd_weight.regs.${tm}x${tn}x${wg}${bcast ? '.sg' : ''}${add ? '.add' : ''}`, bwdWeightRegsSource, {
    BODY: [bload, dyLoad, advance, fma].join('\n'),
    ENABLE: bcast ? SUBGROUP_HEADER : '',
    LANEARG: bcast ? ', @builtin(subgroup_invocation_id) sid: u32' : '',
    WG: wg,
    TM: tm,
    CSPAN: tn * wg,
    ROWDECL: bcast
      ? lines(tm / 4, (j) => `  let rl_${j} = min(m0 + ${4 * j}u + sid, lastM) * hwo;`)
      : lines(tm, (i) => `  let r_${i} = min(m0 + ${i}u, lastM) * hwo;`),
    COLDECL: lines(groups, (g) =>
      [
        `  let c_${g} = vec4u(c0 + ${4 * g * wg}u) + vec4u(0u, ${wg}u, ${2 * wg}u, ${3 * wg}u);`,
        `  let xc_${g} = min(c_${g}, vec4u(lastC)) * hw;`,
      ].join('\n'),
    ),
    ACCDECL: lines(tm, (i) => lines(groups, (g) => `  var acc_${i}_${g} = vec4f(0.0);`)),
    STORE: dwStores(tm, groups, add, (g, q) => `c_${g}.${q} < P.C`, (i, g, q) => `((m0 + ${i}u) * P.C + c_${g}.${q}) * khw + tap`),
  });
});

/** Backward-weight register kernel for few input channels: one kernel row per workgroup, columns (c, kx). */
const bwdWeightRowsKernels = new KernelFamily<DirectKey & { add: boolean }>(({ tm, tn, wg, add }): Kernel => {
  if (tn % 4 !== 0 || tn < 4) throw new RangeError(`conv2d: register tile tn = ${tn} must be a positive multiple of 4`);
  const groups = tn / 4;
  return kernelFromTemplate(`conv2d.bwd_weight.rows.${tm}x${tn}x${wg}${add ? '.add' : ''}`, bwdWeightRowsSource, {
    WG: wg,
    TM: tm,
    NSPAN: tn * wg,
    ROWDECL: lines(tm, (i) => `  let r_${i} = min(m0 + ${i}u, lastM) * hwo;`),
    COLDECL: lines(groups, (g) =>
      [
        `  let n_${g} = vec4u(n0 + ${4 * g * wg}u) + vec4u(0u, ${wg}u, ${2 * wg}u, ${3 * wg}u);`,
        `  let nOk_${g} = n_${g} < vec4u(nCols);`,
        `  let c_${g} = min(n_${g}, vec4u(nCols - 1u)) / vec4u(P.kw);`,
        `  let kx_${g} = min(n_${g}, vec4u(nCols - 1u)) - c_${g} * P.kw;`,
        `  let xc_${g} = c_${g} * hw;`,
        `  let wi0_${g} = vec4i(kx_${g}) - i32(P.pad);`,
      ].join('\n'),
    ),
    ACCDECL: lines(tm, (i) => lines(groups, (g) => `  var acc_${i}_${g} = vec4f(0.0);`)),
    ROWSTART: lines(groups, (g) => `      var wi_${g} = wi0_${g};`),
    BLOAD: lines(groups, (g) =>
      [
        `        let ok_${g} = nOk_${g} & (wi_${g} >= vec4i(0)) & (wi_${g} < vec4i(W));`,
        `        let xi_${g} = select(vec4u(0u), xc_${g} + xRow + vec4u(wi_${g}), ok_${g});`,
        `        let bv_${g} = select(vec4f(0.0), vec4f(x[xi_${g}.x], x[xi_${g}.y], x[xi_${g}.z], x[xi_${g}.w]), ok_${g});`,
      ].join('\n'),
    ),
    FMA: lines(tm, (i) => [`        let a_${i} = dy[r_${i} + dyi];`, ...Array.from({ length: groups }, (_, g) => `        acc_${i}_${g} += a_${i} * bv_${g};`)].join('\n')),
    WNEXT: lines(groups, (g) => `        wi_${g} += vec4i(i32(s));`),
    STORE: dwStores(tm, groups, add, (g, q) => `nOk_${g}.${q}`, (i, g, q) => `(m0 + ${i}u) * P.C * khw + c_${g}.${q} * khw + ky * P.kw + kx_${g}.${q}`),
  });
});

interface DirectConv {
  M: number;
  N: number;
  C: number;
  H: number;
  W: number;
  Ho: number;
  Wo: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  xOff: number;
  yOff: number;
  hasBias: boolean;
  rowStride: number;
  chanStride: number;
  flip: boolean;
  /** Independent problems of these sizes in one dispatch (default 1), each offset by these strides (elements). */
  batch?: { count: number; x: number; y: number; w: number; permute: boolean };
}

/** Whether the register kernels may share lane-uniform values by subgroupBroadcast: asked for (the default) and subgroups of exactly 4 lanes. */
function broadcasts(gpu: Gpu, opts?: Conv2dOptions): boolean {
  return (opts?.bcast ?? true) && gpu.subgroupSize === 4;
}

/** Invocations per workgroup for `cols` columns at `tn` per invocation: 16 unless fewer waste less. */
function directWidth(cols: number, tn: number): number {
  let best = 16;
  let bestCover = Infinity;
  for (const wg of [16, 32, 8, 4]) {
    const cover = Math.ceil(cols / (wg * tn)) * wg * tn;
    if (cover < bestCover) {
      best = wg;
      bestCover = cover;
    }
  }
  return best;
}

/** Records the direct register-tiled conv over an M x N (channels x positions) output. */
function runDirect(
  gpu: Gpu,
  d: DirectConv,
  buffers: readonly { buffer: GPUBuffer; offset: number; size: number }[],
  opts?: Conv2dOptions,
): void {
  const canBcast = broadcasts(gpu, opts);
  // Invocations along the output channels (64 or more of them) when positions are few: with
  // 4-lane subgroups each input value is loaded once per subgroup and broadcast, which pays up to
  // about 32 positions per channel (interleaved A/B at 64 px, batch 8: layer4 37 -> 22 ms, layer2
  // 36 -> 31, layer1 equal; conv1's 1x1 over 8192 positions 43 -> 50, so it keeps positions).
  // Without broadcasts, only under 32 positions (otherwise columns are wasted).
  const byM = d.M >= 64 && (canBcast ? d.N <= 32 * d.M : d.N < 32);
  const lanes = opts?.lanes ?? (byM ? 'm' : 'n');
  const tm = opts?.tile?.tm ?? (d.M >= 16 ? 16 : d.M >= 8 ? 8 : 4);
  const tn = opts?.tile?.tn ?? (lanes === 'm' && d.N <= 4 ? 4 : 8);
  const wg = opts?.tile?.wg ?? (lanes === 'm' ? 4 : directWidth(d.N, tn));
  const bcast = canBcast && (lanes === 'm' || tm % 4 === 0);
  const kernel = directKernels.get({ tm, tn, wg, lanes, bcast });
  const u = new Uint32Array([
    d.M, d.N, d.C, d.H, d.W, d.Ho, d.Wo, d.kh, d.kw, d.stride, d.pad, d.xOff,
    d.yOff, d.hasBias ? 1 : 0, d.rowStride, d.chanStride, d.flip ? 1 : 0, d.batch?.count ?? 1, d.batch?.x ?? 0, d.batch?.y ?? 0,
    d.batch?.w ?? 0, d.batch?.permute ? 1 : 0, 0, 0,
  ]);
  const perProblem = lanes === 'm' ? Math.ceil(d.N / tn) * Math.ceil(d.M / (tm * wg)) : Math.ceil(d.N / (tn * wg)) * Math.ceil(d.M / tm);
  dispatchTiles(gpu, kernel, perProblem * (d.batch?.count ?? 1), u, buffers, 'direct', opts);
}

function dispatchTiles(
  gpu: Gpu,
  kernel: Kernel,
  tiles: number,
  uniforms: Uint32Array,
  buffers: readonly { buffer: GPUBuffer; offset: number; size: number }[],
  what: string,
  opts?: Conv2dOptions,
): void {
  const max = Math.min(gpu.limits.maxWorkgroupsPerDimension, opts?.maxWorkgroupsPerDimension ?? Infinity);
  // Tiles are numbered linearly and the grid folded into (x, y, z); the kernel drops the excess.
  const gx = Math.min(tiles, max);
  const rest = Math.ceil(tiles / gx);
  const gy = Math.min(rest, max);
  const gz = Math.ceil(rest / gy);
  if (gz > max) throw new RangeError(`conv2d.${what}: ${tiles} workgroups, over ${max}^3`);
  gpu.dispatch(kernel, { uniforms, buffers, workgroups: [gx, gy, gz] });
}

const bwdBiasKernel: Kernel = { name: 'conv2d.bwd_bias', source: bwdBiasSource };
const col2imKernel: Kernel = { name: 'conv2d.col2im', source: col2imSource };
const im2colKernel: Kernel = { name: 'conv2d.im2col', source: im2colSource };

/**
 * Register variant, inputs with fewer than 16 channels and a kernel larger than 1x1 (conv1): the
 * direct kernel would spend its time on per-tap set-up (147 taps of 3 channels run at ~1 GFLOP/s),
 * so x goes through a column matrix and the conv runs as a 1x1 conv over C*kh*kw channels
 * (64 px, batch 8, interleaved A/B, column matrix included: forward 231 -> 125 ms, backward-weight
 * 105 -> 68 ms).
 */
function viaColumns(variant: Conv2dVariant, g: Geometry, opts?: Conv2dOptions): boolean {
  return variant === 'registers' && opts?.columns !== false && g.C < 16 && g.kh * g.kw > 1 && g.C * g.kh * g.kw >= 16;
}

/** Records col (nc, C*kh*kw, Ho, Wo) = the column matrix of nc images of x starting at element xOff of xb. */
function im2col(gpu: Gpu, g: Geometry, p: Conv2dParams, nc: number, x: { buffer: GPUBuffer; offset: number; size: number }, xOff: number, col: Tensor): void {
  const rows = g.C * g.kh * g.kw;
  const hwo = g.Ho * g.Wo;
  const u = new Uint32Array([g.C, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, p.stride, p.padding, xOff, 0, 0]);
  gpu.dispatch(im2colKernel, { uniforms: u, buffers: [x, bindRange(col, 0, nc * rows * hwo).binding], workgroups: [Math.ceil(g.Wo / 32), rows, nc] });
}

/** Records one GEMM-shaped dispatch of `pass` (a 'tiled' engine) over an M x N output, one tile per workgroup, for each of `splits` k splits. */
function runGemm(
  gpu: Gpu,
  engine: Conv2dVariant,
  pass: PassName,
  M: number,
  N: number,
  uniforms: Uint32Array,
  buffers: readonly { buffer: GPUBuffer; offset: number; size: number }[],
  opts?: Conv2dOptions,
  splits = 1,
): void {
  const e = gemmEngine(engine);
  const tile = GEMM_TILE[e];
  dispatchTiles(gpu, gemmKernels.get({ pass, engine: e }), splits * Math.ceil(N / tile) * Math.ceil(M / tile), uniforms, buffers, pass, opts);
}

function gemmEngine(variant: Conv2dVariant): GemmVariant {
  if (variant === 'registers') throw new Error('conv2d: the register variant has no shared-memory GEMM engine');
  return variant;
}

/** Output tile (both sides) of each shared-memory engine (BM = BN in its WGSL); split k is cut in multiples of GEMM_BK, the deeper of their k steps (16 and 8). */
const GEMM_TILE: Readonly<Record<GemmVariant, number>> = { tiled: 64, tiled128: 128 };
const GEMM_BK = 16;
/**
 * Split-K for the 'tiled' backward-weight GEMM. Its M x N is the weight (Cout x C*kh*kw) and its
 * k the batch's positions, so early layers have few tiles over a long k: ResNet18's layer1 at
 * 224 px, batch 32, is 9 workgroups of 64 x 64 each summing 100,352 products, which leaves all but
 * 9 of a large GPU's cores idle. Splitting k gives each split's workgroups their own partial sums
 * (splits x M x N floats), which reduce.column_sum.wgsl then adds up in a fixed order.
 */
const SPLIT_TARGET_WORKGROUPS = 1024; // ~8 per compute unit of a 132-unit GPU
const SPLIT_MIN_K = 512; // positions per split at least: each workgroup's k loop stays long against its set-up and store

export interface SplitK {
  splits: number;
  /** k per split, a multiple of the engine's k depth; the last split may be shorter. */
  kPer: number;
}

/** Splits of a 'tiled' backward-weight GEMM over M x N with k = K, `requested` or chosen by tile count; capped so the partials fit one binding. */
export function tiledSplitK(M: number, N: number, K: number, maxBindingBytes: number, requested?: number, engine: Conv2dVariant = 'tiled'): SplitK {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new RangeError(`conv2d: splitK must be a positive integer, got ${requested}`);
  }
  const tile = GEMM_TILE[gemmEngine(engine)];
  const tiles = Math.ceil(M / tile) * Math.ceil(N / tile);
  let splits = requested ?? Math.min(Math.ceil(SPLIT_TARGET_WORKGROUPS / tiles), Math.floor(K / SPLIT_MIN_K));
  splits = Math.max(1, Math.min(splits, Math.floor(maxBindingBytes / (M * N * 4)), Math.ceil(K / GEMM_BK)));
  if (splits === 1) return { splits: 1, kPer: K };
  const kPer = Math.ceil(Math.ceil(K / splits) / GEMM_BK) * GEMM_BK;
  return { splits: Math.ceil(K / kPer), kPer };
}

const WINOGRAD_LIB = { winograd_tiles: winogradTilesLib };
const winogradInKernel = kernelWithIncludes({ name: 'conv2d.winograd_in', source: winogradInSource }, WINOGRAD_LIB);
const winogradOutKernel = kernelWithIncludes({ name: 'conv2d.winograd_out', source: winogradOutSource }, WINOGRAD_LIB);
const winogradWKernel = kernelWithIncludes({ name: 'conv2d.winograd_w', source: winogradWSource }, WINOGRAD_LIB);
const winogradDyKernel = kernelWithIncludes({ name: 'conv2d.winograd_dy', source: winogradDySource }, WINOGRAD_LIB);
const winogradDwKernels = [false, true].map((add) =>
  kernelFromTemplate(`conv2d.winograd_dw${add ? '.add' : ''}`, winogradDwSource, { STORE: add ? 'dw[i] += v;' : 'dw[i] = v;' }, undefined, undefined, WINOGRAD_LIB),
);

interface WinogradTiling {
  tilesW: number;
  /** Tiles per image. */
  tiles: number;
  /** Images per chunk. */
  chunk: number;
}

/** Tiles of one image and images per chunk, for transforms of `C` and `M` channels per tile element. */
function winogradTiling(gpu: Gpu, op: string, N: number, C: number, M: number, H: number, W: number): WinogradTiling {
  const tilesW = Math.ceil(W / 2);
  const tiles = Math.ceil(H / 2) * tilesW;
  const chunk = Math.min(N, imagesPerChunk(gpu, op, [C * H * W, M * H * W, 16 * C * tiles, 16 * M * tiles]));
  return { tilesW, tiles, chunk };
}

/** Records v (16, C, NT) = the input transforms of the nc images of src (C channels) from element `off` of its binding. */
function winogradInput(gpu: Gpu, src: RangeBinding, C: number, H: number, W: number, t: WinogradTiling, NT: number, v: Tensor, opts?: Conv2dOptions): RangeBinding['binding'] {
  const vb = bindRange(v, 0, 16 * C * NT).binding;
  const u = new Uint32Array([C, H, W, t.tilesW, t.tiles, NT, src.off, 0]);
  dispatchTiles(gpu, winogradInKernel, Math.ceil((C * NT) / 64), u, [src.binding, vb], 'winograd_in', opts);
  return vb;
}

/**
 * Register variant, 3x3 stride 1 padding 1 with 16+ channels each side: Winograd F(2x2, 3x3)
 * does 16 multiply-adds per 2x2 outputs instead of 36, as 16 GEMMs that the direct kernel runs as
 * one batched 1x1 conv, between transforms that cost a few loads and stores per element. It pays
 * for forward and dx on images of 4x4 or more, for dweight on 8x8 or more (64 px batch 8,
 * interleaved minima, transforms included; direct -> Winograd):
 *   forward / dx  layer1 16x16 24.2 / 24.3 -> 15.9 / 15.7 ms, layer2 8x8 19.5 / 21.0 -> 13.4 / 12.3,
 *                 layer3 4x4 16.5 / 16.7 -> 12.2 / 12.2, layer4 2x2 12.1 / 12.2 -> 14.5 / 13.4;
 *   dweight       layer1 24.7 -> 18.1, layer2 24.8 -> 17.2, layer3 27.6 -> 30.0, layer4 15.7 -> 52.1.
 * On small images a tile is most of an image: the 16/9 larger filters, and for dweight the 16
 * (C x Co) results of short reductions, are what is left to pay. Whole steps, interleaved, with
 * and without: 64 px batch 8 (75 M multiply-adds per conv) 797-914 against 992-1,021 ms; 64 px
 * batch 2 (19 M) 415-431 against 421-549; 32 px batch 2 (4.7 M) 146-173 against 141-184, no
 * gain; the default run's shape, 32 px batch 16 width 16 (2.4 M), 78-84 against 74-75, a loss.
 * So convs under 16 M multiply-adds keep the direct kernels.
 */
function viaWinograd(gpu: Gpu, variant: Conv2dVariant, g: Geometry, p: Conv2dParams, pass: 'forward' | 'dx' | 'dweight', opts?: Conv2dOptions): boolean {
  const choice = opts?.winograd ?? gpu.winograd;
  if (variant !== 'registers' || choice === false) return false;
  if (g.kh !== 3 || g.kw !== 3 || p.stride !== 1 || p.padding !== 1) return false;
  // The filter transforms are bound whole, and one image's transforms must fit a binding.
  const room = gpu.limits.maxBindingBytes - 256;
  const tiles = Math.ceil(g.H / 2) * Math.ceil(g.W / 2);
  if (16 * g.Co * g.C * 4 > room || 16 * Math.max(g.C, g.Co) * tiles * 4 > room) return false;
  if (choice === true) return true;
  // Small convs pay more for the three extra dispatches than they save (see above).
  const macs = g.N * g.Co * g.H * g.W * g.C * 9;
  return macs >= 16e6 && Math.min(g.H, g.W) >= (pass === 'dweight' ? 8 : 4) && g.C >= 16 && g.Co >= 16;
}

/** u (16, Co, C): the Winograd transform of every 3x3 filter of weight (Co, C, 3, 3). */
function winogradFilters(gpu: Gpu, weight: Tensor, Co: number, C: number, opts?: Conv2dOptions): Tensor {
  const u = Tensor.empty(gpu, [16, Co, C]);
  dispatchTiles(gpu, winogradWKernel, Math.ceil((Co * C) / 64), new Uint32Array([Co, C, 0, 0]), [weight.binding, u.binding], 'winograd_w', opts);
  return u;
}

/**
 * dst (N, M, H, W) = the 3x3 stride-1 padding-1 conv of src (N, C, H, W) by Winograd, with the
 * filter transforms u (16, Co, C) of the weight: forward (M = Co, C = Cin), or for dx (`flipped`:
 * src = dy, M = Cin, C = Co) with the flipped, transposed filters, whose transforms are u's with
 * rows and columns 0 and 3 swapped (G J = S G for the 3-flip J and the 4-swap S) read transposed.
 */
function winogradConv(
  gpu: Gpu,
  op: string,
  src: Tensor,
  u: Tensor,
  bias: Tensor | null,
  dst: Tensor,
  dims: { N: number; C: number; M: number; H: number; W: number },
  flipped: boolean,
  opts?: Conv2dOptions,
): void {
  const { N, C, M, H, W } = dims;
  const t = winogradTiling(gpu, op, N, C, M, H, W);
  const { tilesW, tiles, chunk } = t;
  const srcImg = C * H * W;
  const dstImg = M * H * W;
  const v = Tensor.empty(gpu, [16, C, chunk * tiles]);
  const m = Tensor.empty(gpu, [16, M, chunk * tiles]);
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nc = Math.min(chunk, N - n0);
    const NT = nc * tiles;
    const sb = bindRange(src, n0 * srcImg, nc * srcImg);
    const db = bindRange(dst, n0 * dstImg, nc * dstImg);
    const vb = winogradInput(gpu, sb, C, H, W, t, NT, v, opts);
    const mb = bindRange(m, 0, 16 * M * NT).binding;
    // Element e: m[e] (M x NT) = U_e (M x C) * v[e] (C x NT), U_e = u[e] or, flipped, u[s(e)]^T.
    const d = { M, N: NT, C, H: 1, W: NT, Ho: 1, Wo: NT, kh: 1, kw: 1, stride: 1, pad: 0, xOff: 0, yOff: 0, hasBias: false };
    const layout = flipped ? { rowStride: 1, chanStride: M } : { rowStride: C, chanStride: 1 };
    const batch = { count: 16, x: C * NT, y: M * NT, w: M * C, permute: flipped };
    runDirect(gpu, { ...d, ...layout, flip: false, batch }, [vb, u.binding, u.binding, mb], opts);
    const uout = new Uint32Array([M, H, W, tilesW, tiles, NT, db.off, bias ? 1 : 0]);
    dispatchTiles(gpu, winogradOutKernel, Math.ceil((M * NT) / 64), uout, [mb, (bias ?? u).binding, db.binding], 'winograd_out', opts);
  }
  v.release();
  m.release();
}

/**
 * dw (Co, C, 3, 3) of the 3x3 stride-1 padding-1 conv of x (N, C, H, W), given dy, by Winograd:
 * per element e, dU_e (Co x C) = dM_e (Co x NT) * V_e^T with V = the input transform of x and
 * dM = A dY A^T per tile, then dw = G^T dU G. The GEMMs run as one batched 1x1 direct conv that
 * produces dU^T (rows c, positions o, channels = tiles), so dM is stored tiles x Co. V is computed
 * again rather than kept from the forward: it is 4x the size of x, held from forward to backward
 * for every conv, to save ~1 ms per conv at 64 px batch 8. (The filter transforms, 16/9 of the
 * weight, are kept from forward for dx: Conv2dKeep.)
 */
function winogradWeightGrad(gpu: Gpu, op: string, x: Tensor, dy: Tensor, dw: Tensor, g: Geometry, opts?: Conv2dOptions): void {
  const { N, C, Co, H, W } = g;
  const t = winogradTiling(gpu, op, N, C, Co, H, W);
  const { tilesW, tiles, chunk } = t;
  const xImg = C * H * W;
  const yImg = Co * H * W;
  const v = Tensor.empty(gpu, [16, C, chunk * tiles]);
  const dmt = Tensor.empty(gpu, [16, chunk * tiles, Co]);
  const dut = Tensor.empty(gpu, [16, C, Co]);
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nc = Math.min(chunk, N - n0);
    const NT = nc * tiles;
    const xb = bindRange(x, n0 * xImg, nc * xImg);
    const dyb = bindRange(dy, n0 * yImg, nc * yImg);
    const vb = winogradInput(gpu, xb, C, H, W, t, NT, v, opts);
    const mb = bindRange(dmt, 0, 16 * Co * NT).binding;
    dispatchTiles(gpu, winogradDyKernel, Math.ceil((Co * NT) / 64), new Uint32Array([Co, H, W, tilesW, tiles, NT, dyb.off, 0]), [dyb.binding, mb], 'winograd_dy', opts);
    // Element e: dU_e^T (C x Co) = V_e (C x NT, the "weight") * dM_e^T (NT x Co, the "input").
    const d = { M: C, N: Co, C: NT, H: 1, W: Co, Ho: 1, Wo: Co, kh: 1, kw: 1, stride: 1, pad: 0, xOff: 0, yOff: 0, hasBias: false };
    const batch = { count: 16, x: NT * Co, y: C * Co, w: C * NT, permute: false };
    runDirect(gpu, { ...d, rowStride: NT, chanStride: 1, flip: false, batch }, [mb, vb, vb, dut.binding], opts);
    dispatchTiles(gpu, winogradDwKernels[n0 > 0 ? 1 : 0]!, Math.ceil((Co * C) / 64), new Uint32Array([Co, C, 0, 0]), [dut.binding, dw.binding], 'winograd_dw', opts);
  }
  v.release();
  dmt.release();
  dut.release();
}

// ------------------------------------------------------------------ binding splits

/** Images per chunk so that every batch-dimensioned binding fits (with 256 bytes of alignment slack). */
function imagesPerChunk(gpu: Gpu, op: string, perImageElems: readonly number[]): number {
  const room = gpu.limits.maxBindingBytes - 256;
  const per = Math.max(...perImageElems) * 4;
  if (per > room) {
    throw new RangeError(`${op}: one image needs ${per} bytes in one binding, over the ${gpu.limits.maxBindingBytes}-byte limit`);
  }
  return Math.max(1, Math.floor(room / per));
}

function checkWhole(gpu: Gpu, op: string, t: Tensor, what: string): void {
  if (t.byteLength > gpu.limits.maxBindingBytes) {
    throw new RangeError(`${op}: ${what} ${shapeString(t.shape)} exceeds the ${gpu.limits.maxBindingBytes}-byte binding limit`);
  }
}

// ------------------------------------------------------------------ validation

interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  Co: number;
  kh: number;
  kw: number;
  Ho: number;
  Wo: number;
}

function geometry(op: string, xShape: readonly number[], wShape: readonly number[], p: Conv2dParams): Geometry {
  const bad = (why: string): never => {
    throw new RangeError(`${op}: ${why} (x ${shapeString(xShape)}, weight ${shapeString(wShape)}, stride ${p.stride}, padding ${p.padding})`);
  };
  if (xShape.length !== 4) bad('x must be (N, C, H, W)');
  if (wShape.length !== 4) bad('weight must be (Cout, C, kh, kw)');
  if (!Number.isInteger(p.stride) || p.stride < 1) bad('stride must be an integer >= 1');
  if (!Number.isInteger(p.padding) || p.padding < 0) bad('padding must be an integer >= 0');
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [Co, Cw, kh, kw] = wShape as [number, number, number, number];
  if (Cw !== C) bad(`weight has ${Cw} input channels, x has ${C}`);
  if (N < 1 || C < 1 || Co < 1 || kh < 1 || kw < 1) bad('empty dimension');
  const [Ho, Wo] = conv2dOutputSize(H, W, kh, kw, p);
  if (Ho < 1 || Wo < 1) bad('kernel larger than the padded input');
  return { N, C, H, W, Co, kh, kw, Ho, Wo };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ------------------------------------------------------------------ passes

/**
 * What conv2dForward can hand over for the backward passes of the same conv (the caller's to
 * release; null when the conv ran otherwise): a Winograd conv's filter transforms, for
 * conv2dBackwardData, and a column-matrix conv's matrix of the whole batch (up to
 * KEEP_COLUMNS_BYTES), for conv2dBackwardWeight, so neither is made twice.
 */
export interface Conv2dKeep {
  filters: Tensor | null;
  columns: Tensor | null;
}

/** Largest column matrix conv2dForward keeps (conv1's at 64 px batch 8 is 4.8 MB; at 224 px batch 32, 236 MB, made again instead). */
export const KEEP_COLUMNS_BYTES = 64 * 2 ** 20;

/** y = conv2d(x, weight) + bias; with `keep`, see Conv2dKeep. */
export function conv2dForward(
  gpu: Gpu, x: Tensor, weight: Tensor, bias: Tensor | null, p: Conv2dParams, opts?: Conv2dOptions, keep?: Conv2dKeep,
): Tensor {
  const op = 'conv2dForward';
  const g = geometry(op, x.shape, weight.shape, p);
  if (bias && !sameShape(bias.shape, [g.Co])) throw new RangeError(`${op}: bias ${shapeString(bias.shape)} must be [${g.Co}]`);
  checkWhole(gpu, op, weight, 'weight');
  const variant = conv2dVariant(gpu, opts);
  const pass: PassName = g.kh === 1 && g.kw === 1 && p.padding === 0 ? 'forward_1x1' : 'forward';
  const y = Tensor.empty(gpu, [g.N, g.Co, g.Ho, g.Wo]);
  if (viaWinograd(gpu, variant, g, p, 'forward', opts)) {
    const u = winogradFilters(gpu, weight, g.Co, g.C, opts);
    winogradConv(gpu, op, x, u, bias, y, { N: g.N, C: g.C, M: g.Co, H: g.H, W: g.W }, false, opts);
    if (keep) [keep.filters, keep.columns] = [u, null];
    else u.release();
    return y;
  }
  if (keep) [keep.filters, keep.columns] = [null, null];
  const xImg = g.C * g.H * g.W;
  const yImg = g.Co * g.Ho * g.Wo;
  const K = g.C * g.kh * g.kw;
  const columns = viaColumns(variant, g, opts);
  const chunk = imagesPerChunk(gpu, op, columns ? [xImg, yImg, K * g.Ho * g.Wo] : [xImg, yImg]);
  const col = columns ? Tensor.empty(gpu, [Math.min(chunk, g.N), K, g.Ho, g.Wo]) : null;
  for (let n0 = 0; n0 < g.N; n0 += chunk) {
    const nc = Math.min(chunk, g.N - n0);
    const xb = bindRange(x, n0 * xImg, nc * xImg);
    const yb = bindRange(y, n0 * yImg, nc * yImg);
    const cols = nc * g.Ho * g.Wo;
    if (col) {
      im2col(gpu, g, p, nc, xb.binding, xb.off, col);
      const d = { M: g.Co, N: cols, C: K, H: g.Ho, W: g.Wo, Ho: g.Ho, Wo: g.Wo, kh: 1, kw: 1, stride: 1, pad: 0 };
      const more = { xOff: 0, yOff: yb.off, hasBias: bias !== null, rowStride: K, chanStride: 1, flip: false };
      runDirect(gpu, { ...d, ...more }, [bindRange(col, 0, nc * K * g.Ho * g.Wo).binding, weight.binding, (bias ?? weight).binding, yb.binding], opts);
      continue;
    }
    if (variant === 'registers') {
      const K = g.C * g.kh * g.kw;
      const d = { M: g.Co, N: cols, C: g.C, H: g.H, W: g.W, Ho: g.Ho, Wo: g.Wo, kh: g.kh, kw: g.kw, stride: p.stride, pad: p.padding };
      const more = { xOff: xb.off, yOff: yb.off, hasBias: bias !== null, rowStride: K, chanStride: g.kh * g.kw, flip: false };
      runDirect(gpu, { ...d, ...more }, [xb.binding, weight.binding, (bias ?? weight).binding, yb.binding], opts);
      continue;
    }
    const u = new Uint32Array([g.Co, cols, g.C * g.kh * g.kw, g.C, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, p.stride, p.padding, xb.off, yb.off, bias ? 1 : 0, 0]);
    // Without a bias the weight stands in at the bias slot (never read: hasBias = 0).
    runGemm(gpu, variant, pass, g.Co, cols, u, [xb.binding, weight.binding, (bias ?? weight).binding, yb.binding], opts);
  }
  // One chunk: the matrix holds the whole batch, which backward-weight can use as it is.
  if (keep && col && chunk >= g.N && col.byteLength <= KEEP_COLUMNS_BYTES) keep.columns = col;
  else col?.release();
  return y;
}

/**
 * dx of y = conv2d(x, weight), given dy: the column gradient dcol = weight^T * dy as a plain GEMM
 * (no wasted taps on strided convs), then col2im gathers it into dx. `filters`: the forward's
 * Winograd filter transforms of this weight (conv2dForward's keep), used when dx runs by
 * Winograd too; the caller keeps them.
 */
export function conv2dBackwardData(
  gpu: Gpu, dy: Tensor, weight: Tensor, xShape: readonly number[], p: Conv2dParams, opts?: Conv2dOptions, filters?: Tensor | null,
): Tensor {
  const op = 'conv2dBackwardData';
  const g = geometry(op, xShape, weight.shape, p);
  if (!sameShape(dy.shape, [g.N, g.Co, g.Ho, g.Wo])) {
    throw new RangeError(`${op}: dy ${shapeString(dy.shape)} must be ${shapeString([g.N, g.Co, g.Ho, g.Wo])} for x ${shapeString(xShape)}`);
  }
  checkWhole(gpu, op, weight, 'weight');
  const variant = conv2dVariant(gpu, opts);
  const dx = Tensor.empty(gpu, [g.N, g.C, g.H, g.W]);
  if (viaWinograd(gpu, variant, g, p, 'dx', opts)) {
    if (filters && !sameShape(filters.shape, [16, g.Co, g.C])) {
      throw new RangeError(`${op}: filter transforms ${shapeString(filters.shape)} must be ${shapeString([16, g.Co, g.C])} for weight ${shapeString(weight.shape)}`);
    }
    const u = filters ?? winogradFilters(gpu, weight, g.Co, g.C, opts);
    winogradConv(gpu, op, dy, u, null, dx, { N: g.N, C: g.Co, M: g.C, H: g.H, W: g.W }, true, opts);
    if (u !== filters) u.release();
    return dx;
  }
  const xImg = g.C * g.H * g.W;
  const yImg = g.Co * g.Ho * g.Wo;
  const rows = g.C * g.kh * g.kw;
  const colImg = rows * g.Ho * g.Wo;
  const hwo = g.Ho * g.Wo;
  // Stride 1, square kernel: dx is the conv of dy with the flipped, transposed weight (no dcol).
  const transposed = variant === 'registers' && p.stride === 1 && g.kh === g.kw && p.padding <= g.kh - 1;
  const chunk = Math.min(g.N, imagesPerChunk(gpu, op, transposed ? [xImg, yImg] : [xImg, yImg, colImg]));
  const dcol = transposed ? null : Tensor.empty(gpu, [rows, chunk * hwo]);
  for (let n0 = 0; n0 < g.N; n0 += chunk) {
    const nc = Math.min(chunk, g.N - n0);
    const dyb = bindRange(dy, n0 * yImg, nc * yImg);
    const dxb = bindRange(dx, n0 * xImg, nc * xImg);
    const khw = g.kh * g.kw;
    if (transposed) {
      const d = { M: g.C, N: nc * g.H * g.W, C: g.Co, H: g.Ho, W: g.Wo, Ho: g.H, Wo: g.W, kh: g.kh, kw: g.kw, stride: 1, pad: g.kh - 1 - p.padding };
      const more = { xOff: dyb.off, yOff: dxb.off, hasBias: false, rowStride: khw, chanStride: g.C * khw, flip: true };
      runDirect(gpu, { ...d, ...more }, [dyb.binding, weight.binding, weight.binding, dxb.binding], opts);
      continue;
    }
    const cols = nc * hwo;
    const colb = bindRange(dcol!, 0, rows * cols);
    let rowStride = cols;
    let imgStride = hwo;
    if (variant === 'registers') {
      // dcol (Nc, rows, Ho, Wo) = weight^T * dy as a 1x1 direct conv of dy: m = (c, ky, kx), channel = o.
      const d = { M: rows, N: cols, C: g.Co, H: g.Ho, W: g.Wo, Ho: g.Ho, Wo: g.Wo, kh: 1, kw: 1, stride: 1, pad: 0 };
      const more = { xOff: dyb.off, yOff: colb.off, hasBias: false, rowStride: 1, chanStride: rows, flip: false };
      runDirect(gpu, { ...d, ...more }, [dyb.binding, weight.binding, weight.binding, colb.binding], opts);
      rowStride = hwo;
      imgStride = rows * hwo;
    } else {
      const u = new Uint32Array([rows, cols, g.Co, hwo, dyb.off, 0, 0, 0]);
      runGemm(gpu, variant, 'bwd_data', rows, cols, u, [dyb.binding, weight.binding, colb.binding], opts);
    }
    const total = nc * xImg;
    const u2 = new Uint32Array([total, g.C, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, p.stride, p.padding, dxb.off, rowStride, imgStride, 0, 0, 0]);
    gpu.dispatch(col2imKernel, { uniforms: u2, buffers: [colb.binding, dxb.binding], workgroups: Math.ceil(total / 64) });
  }
  dcol?.release();
  return dx;
}

/** Taps in runs of liveTapRuns. */
function tapCount(runs: readonly (readonly [number, number])[]): number {
  return runs.reduce((n, r) => n + r[1], 0);
}

/** Runs [first tap, count] of consecutive taps (ky * kw + kx) whose window meets the input for some output. */
function liveTapRuns(g: Geometry, p: Conv2dParams): [number, number][] {
  // Output o reads input o*s - pad + k; the tap is live when some o in [0, out) lands in [0, size).
  const live = (k: number, size: number, out: number): boolean => {
    for (let o = 0; o < out; o++) {
      const i = o * p.stride - p.padding + k;
      if (i >= 0 && i < size) return true;
    }
    return false;
  };
  const runs: [number, number][] = [];
  for (let ky = 0; ky < g.kh; ky++) {
    const rowLive = live(ky, g.H, g.Ho);
    for (let kx = 0; kx < g.kw; kx++) {
      if (!rowLive || !live(kx, g.W, g.Wo)) continue;
      const tap = ky * g.kw + kx;
      const last = runs[runs.length - 1];
      if (last && last[0] + last[1] === tap) last[1]++;
      else runs.push([tap, 1]);
    }
  }
  return runs;
}

/**
 * dweight of y = conv2d(x, weight), given dy. Written into `out` when given (a parameter's
 * gradient view in the arena, so the tape need not copy it there), else into a new tensor.
 */
export function conv2dBackwardWeight(
  gpu: Gpu, x: Tensor, dy: Tensor, weightShape: readonly number[], p: Conv2dParams, opts?: Conv2dOptions, out?: Tensor | null,
  columns?: Tensor | null,
): Tensor {
  const op = 'conv2dBackwardWeight';
  const g = geometry(op, x.shape, weightShape, p);
  if (!sameShape(dy.shape, [g.N, g.Co, g.Ho, g.Wo])) {
    throw new RangeError(`${op}: dy ${shapeString(dy.shape)} must be ${shapeString([g.N, g.Co, g.Ho, g.Wo])} for x ${shapeString(x.shape)}`);
  }
  const variant = conv2dVariant(gpu, opts);
  if (out && (!sameShape(out.shape, [g.Co, g.C, g.kh, g.kw]) || out.dtype !== 'f32')) {
    throw new RangeError(`${op}: out ${shapeString(out.shape)} ${out.dtype} must be f32 ${shapeString([g.Co, g.C, g.kh, g.kw])}`);
  }
  const dw = out ?? Tensor.empty(gpu, [g.Co, g.C, g.kh, g.kw]);
  checkWhole(gpu, op, dw, 'weight gradient');
  // Taps that see only padding get exactly zero (every product has a padding zero in it, dy
  // finite), whichever kernel runs below: said so for the optimiser (Tensor.knownZeros).
  const liveRuns = liveTapRuns(g, p);
  dw.knownZeros = tapCount(liveRuns) < g.kh * g.kw ? { period: g.kh * g.kw, live: liveRuns } : null;
  if (viaWinograd(gpu, variant, g, p, 'dweight', opts)) {
    winogradWeightGrad(gpu, op, x, dy, dw, g, opts);
    return dw;
  }
  const xImg = g.C * g.H * g.W;
  const yImg = g.Co * g.Ho * g.Wo;
  const cols = g.C * g.kh * g.kw;
  // Few input channels and a large kernel (conv1): the column matrix makes it a 1x1 conv over
  // C*kh*kw channels, whose gradient (Co, C*kh*kw, 1, 1) is dweight's own memory layout.
  const viaCols = viaColumns(variant, g, opts);
  const chunk = imagesPerChunk(gpu, op, viaCols ? [xImg, yImg, cols * g.Ho * g.Wo] : [xImg, yImg]);
  // The forward's matrix of the whole batch (conv2dForward's keep), when it ran that way.
  const kept = viaCols && columns && chunk >= g.N ? columns : null;
  if (kept && !sameShape(kept.shape, [g.N, cols, g.Ho, g.Wo])) {
    throw new RangeError(`${op}: column matrix ${shapeString(kept.shape)} must be ${shapeString([g.N, cols, g.Ho, g.Wo])}`);
  }
  const col = viaCols ? (kept ?? Tensor.empty(gpu, [Math.min(chunk, g.N), cols, g.Ho, g.Wo])) : null;
  const gg: Geometry = viaCols ? { ...g, C: cols, H: g.Ho, W: g.Wo, kh: 1, kw: 1 } : g;
  const pp: Conv2dParams = viaCols ? { stride: 1, padding: 0 } : p;
  // Input channels run along the invocations: with fewer than 16 most would idle, so the row
  // kernel (columns over (c, kx) of one kernel row) takes those that need no column matrix.
  const regs = variant === 'registers' && gg.C >= 16;
  // The register kernel's taps: the conv's own live taps, or the column matrix's one.
  const regsRuns = viaCols ? liveTapRuns(gg, pp) : liveRuns;
  for (let n0 = 0; n0 < g.N; n0 += chunk) {
    const nc = Math.min(chunk, g.N - n0);
    let xb = bindRange(x, n0 * xImg, nc * xImg);
    const dyb = bindRange(dy, n0 * yImg, nc * yImg);
    if (col) {
      if (!kept) im2col(gpu, g, p, nc, xb.binding, xb.off, col);
      xb = bindRange(col, 0, nc * cols * g.Ho * g.Wo);
    }
    if (regs) {
      const tm = opts?.tile?.tm ?? (gg.Co >= 16 ? 16 : gg.Co >= 8 ? 8 : 4);
      const tn = opts?.tile?.tn ?? 8;
      const wg = opts?.tile?.wg ?? 4;
      const mTiles = Math.ceil(gg.Co / tm);
      const cTiles = Math.ceil(gg.C / (tn * wg));
      const bcast = broadcasts(gpu, opts) && tm % 4 === 0 && wg % 4 === 0;
      const kernel = bwdWeightRegsKernels.get({ tm, tn, wg, bcast, add: n0 > 0 });
      // Taps that see only padding (late layers at 1x1) get no workgroups: their gradient is 0.
      if (tapCount(regsRuns) < gg.kh * gg.kw && n0 === 0) fillTensor(dw, 0);
      for (const [tapBase, taps] of regsRuns) {
        const u = new Uint32Array([
          gg.Co, gg.C, gg.H, gg.W, gg.Ho, gg.Wo, gg.kh, gg.kw, pp.stride, pp.padding, nc, xb.off,
          dyb.off, 0, mTiles, cTiles, tapBase, taps, 0, 0, // slot 13 unused: adding is the '.add' variant
        ]);
        dispatchTiles(gpu, kernel, taps * mTiles * cTiles, u, [xb.binding, dyb.binding, dw.binding], 'bwd_weight', opts);
      }
      continue;
    }
    if (variant === 'registers') {
      const tm = opts?.tile?.tm ?? (g.Co >= 16 ? 16 : g.Co >= 8 ? 8 : 4);
      const tn = opts?.tile?.tn ?? 8;
      const wg = opts?.tile?.wg ?? 4;
      const mTiles = Math.ceil(g.Co / tm);
      const nTiles = Math.ceil((g.C * g.kw) / (tn * wg));
      const kernel = bwdWeightRowsKernels.get({ tm, tn, wg, add: n0 > 0 });
      const u = new Uint32Array([g.Co, g.C, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, p.stride, p.padding, nc, xb.off, dyb.off, 0, mTiles, nTiles]); // slot 13 unused ('.add' variant)
      dispatchTiles(gpu, kernel, g.kh * mTiles * nTiles, u, [xb.binding, dyb.binding, dw.binding], 'bwd_weight', opts);
      continue;
    }
    const K = nc * g.Ho * g.Wo;
    const split = tiledSplitK(g.Co, cols, K, gpu.limits.maxBindingBytes, opts?.splitK, variant);
    // Split: each split's partial sums into part, then summed into dw (added for later chunks).
    const part = split.splits > 1 ? Tensor.empty(gpu, [split.splits, g.Co, cols]) : null;
    const accumulate = !part && n0 > 0 ? 1 : 0;
    const u = new Uint32Array([g.Co, cols, K, g.C, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, p.stride, p.padding, xb.off, dyb.off, accumulate, part ? split.kPer : 0]);
    runGemm(gpu, variant, 'bwd_weight', g.Co, cols, u, [xb.binding, dyb.binding, (part ?? dw).binding], opts, split.splits);
    if (part) {
      columnSumInto(gpu, part, split.splits, g.Co * cols, dw, n0 > 0);
      part.release();
    }
  }
  if (col !== kept) col?.release();
  return dw;
}

/** dbias (Cout): dy summed over images and positions. */
export function conv2dBackwardBias(gpu: Gpu, dy: Tensor): Tensor {
  const op = 'conv2dBackwardBias';
  if (dy.shape.length !== 4) throw new RangeError(`${op}: dy ${shapeString(dy.shape)} must be (N, Cout, Ho, Wo)`);
  const [N, Co, Ho, Wo] = dy.shape as [number, number, number, number];
  const db = Tensor.empty(gpu, [Co]);
  const yImg = Co * Ho * Wo;
  const chunk = imagesPerChunk(gpu, op, [yImg]);
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nc = Math.min(chunk, N - n0);
    const dyb = bindRange(dy, n0 * yImg, nc * yImg);
    const u = new Uint32Array([Co, nc, Ho * Wo, dyb.off, n0 > 0 ? 1 : 0, 0, 0, 0]);
    gpu.dispatch(bwdBiasKernel, { uniforms: u, buffers: [dyb.binding, db.binding], workgroups: Math.ceil(Co / 64) });
  }
  return db;
}
