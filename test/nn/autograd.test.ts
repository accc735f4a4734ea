// The tape's mechanics: gradients of a shared input summed once per consumer, no-grad mode,
// frozen parameters, no readback or submit inside a step, every buffer returned after a step.
// x, logits: (N, K) f32; labels: (N) i32.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import { fillTensor } from '../../src/kernels/fill.js';
import * as ops from '../../src/nn/ops.js';
import { Adadelta } from '../../src/nn/optim.js';
import { ResNet18 } from '../../src/nn/resnet.js';
import { Tape, Var } from '../../src/nn/tape.js';
import { forward, trainStep } from '../../src/nn/train.js';
import { softmaxCrossEntropy } from '../../src/reference/softmax_ce.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { relError } from '../helpers/compare.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();

describe('tape', () => {
  it('sums the gradients of a Var used by several ops (u = (relu(x) + x) + relu(x))', async () => {
    const g = gpu();
    const rng = new Rng(seed);
    const N = 3;
    const K = 7;
    const xs = rng.array(N * K, -1, 1);
    const labelValues = Array.from({ length: N }, () => rng.int(K));
    const x = Var.leaf(Tensor.fromArray(g, xs, [N, K]), true, 'x');
    const dx = Tensor.empty(g, [N, K]);
    x.gradTarget = dx;
    const labels = Tensor.fromArray(g, labelValues, [N], 'i32');
    const tape = new Tape(g, true);
    const a = ops.relu(tape, x);
    const s = ops.add(tape, a, x);
    const u = ops.add(tape, s, a);
    s.free();
    a.free();
    const loss = ops.crossEntropy(tape, u, labels);
    u.free();
    expect(tape.recorded).toBe(4);
    tape.backward(loss, [x]);
    // u = 2 relu(x) + x, so dx = dlogits * (2 [x > 0] + 1).
    const x32 = Float64Array.from(new Float32Array(xs));
    const uRef = x32.map((v) => 2 * Math.max(v, 0) + v);
    const ref = softmaxCrossEntropy(uRef, labelValues, N, K);
    const dxRef = ref.dlogits.map((d, i) => d * (x32[i]! > 0 ? 3 : 1));
    // f32 softmax of 7 values and one add: 1e-5 is a few dozen roundings.
    expect(relError(await dx.toFloat32(), dxRef), `seed ${seed}`).toBeLessThan(1e-5);
    expect(Math.abs((await loss.data.toFloat32())[0]! - ref.loss), `seed ${seed}`).toBeLessThan(1e-5 * Math.abs(ref.loss));
    loss.free();
    for (const t of [x.data, dx, labels]) t.release();
  });

  it('records nothing when no input requires a gradient, or in no-grad mode', () => {
    const g = gpu();
    const x = Var.leaf(Tensor.fromArray(g, [1, -2, 3, -4], [1, 4]), false);
    const w = Var.leaf(Tensor.fromArray(g, [1, 2, 3, 4], [1, 4]), true);
    const t1 = new Tape(g, true);
    const y1 = ops.relu(t1, x);
    expect(t1.recorded).toBe(0);
    const t2 = new Tape(g, false);
    const y2 = ops.add(t2, x, w);
    expect(t2.recorded).toBe(0);
    expect(y2.requiresGrad).toBe(false);
    y1.free();
    y2.free();
    x.data.release();
    w.data.release();
  });
});

describe('training step on a narrow ResNet18 (width 4, 16x16, batch 2)', () => {
  const N = 2;
  const S = 16;
  function setup(): { model: ResNet18; images: Tensor; labels: Tensor } {
    const g = gpu();
    const rng = new Rng(seed);
    const model = new ResNet18(g, { numClasses: 5, width: 4, seed });
    const images = Tensor.fromArray(g, rng.array(N * 3 * S * S, -2, 2), [N, 3, S, S]);
    const labels = Tensor.fromArray(g, [1, 4], [N], 'i32');
    return { model, images, labels };
  }

  it('records one step without readback or submit and returns every buffer it took', async () => {
    const g = gpu();
    const { model, images, labels } = setup();
    const opt = new Adadelta(model.arena);
    trainStep(model, opt, images, labels).release(); // first step: creates optimiser state, pipelines
    await g.sync();
    const before = { ...g.counters };
    const pool0 = g.pool.stats();
    const loss = trainStep(model, opt, images, labels);
    expect(g.counters.readbacks - before.readbacks).toBe(0);
    expect(g.counters.submits - before.submits).toBe(0);
    const pool1 = g.pool.stats();
    // Only the loss is still held; no buffer was created for the second step.
    expect(pool1.liveBuffers - pool0.liveBuffers).toBe(1);
    expect(pool1.created - pool0.created).toBe(0);
    const value = (await loss.toFloat32())[0]!;
    expect(Number.isFinite(value)).toBe(true);
    loss.release();
    expect(g.pool.stats().liveBuffers).toBe(pool0.liveBuffers);
    // Evaluation keeps nothing but the logits.
    model.eval();
    const logits = forward(model, images);
    expect(g.pool.stats().liveBuffers).toBe(pool0.liveBuffers + 1);
    expect(logits.shape).toEqual([N, 5]);
    logits.release();
    opt.destroy();
    model.destroy();
    for (const t of [images, labels]) t.release();
  });

  it('does no gradient work for frozen parameters and leaves them and their gradients untouched', async () => {
    const g = gpu();
    const { model, images, labels } = setup();
    const opt = new Adadelta(model.arena);
    // Kernel names of the recorded dispatches, to count the weight-gradient work itself.
    const names: string[] = [];
    const dispatch = g.dispatch.bind(g);
    g.dispatch = (kernel, args) => {
      names.push(kernel.name);
      dispatch(kernel, args);
    };
    const weightGradients = (from: number): number => names.slice(from).filter((n) => n.startsWith('conv2d.bwd_weight') || n === 'conv2d.winograd_dw').length;
    const d0 = g.counters.dispatches;
    trainStep(model, opt, images, labels).release();
    const fullDispatches = g.counters.dispatches - d0;
    const fullWeightGradients = weightGradients(0);
    const n1 = names.length;

    model.setRequiresGrad((n) => !n.startsWith('fc.') && !n.startsWith('layer4.1.'), false);
    // The optimiser's dispatch spans layer4.1 to fc only.
    expect(model.arena.trainableRange).toEqual([model.arena.get('layer4.1.conv1.weight').offset, model.arena.total]);
    fillTensor(model.arena.grads, 7); // a sentinel no frozen gradient may overwrite
    const p0 = await model.arena.params.toFloat32();
    const d1 = g.counters.dispatches;
    trainStep(model, opt, images, labels).release();
    const frozenDispatches = g.counters.dispatches - d1;
    g.dispatch = dispatch;
    // Blocks 1..4.0 need neither weight gradients nor (below layer4.1) input gradients: of the 20
    // convs' weight-gradient dispatches only layer4.1's two convs' remain (layer4 is 1x1 here: one
    // live tap, one dispatch each). (The step's total is no measure of this: the forward is the
    // same in both, and the full step's backward got cheaper as conv2d kept its column matrices.)
    console.log(`dispatches per step: all trainable ${fullDispatches}, fc + layer4.1 only ${frozenDispatches}; weight gradients ${fullWeightGradients} -> ${weightGradients(n1)}`);
    expect(fullWeightGradients).toBeGreaterThanOrEqual(20);
    expect(weightGradients(n1)).toBe(2);
    // No input gradient below layer4.1: BatchNorm backward only for layer4.1's two BNs, and no
    // column-matrix input gradient (the narrow model's convs with under 16 input channels).
    const count = (prefix: string, from: number, to = names.length): number => names.slice(from, to).filter((n) => n.startsWith(prefix)).length;
    expect(count('batchnorm.bwd_dx', 0, n1)).toBe(20);
    expect(count('batchnorm.bwd_dx', n1)).toBe(2);
    expect(count('conv2d.col2im', 0, n1)).toBeGreaterThan(0);
    expect(count('conv2d.col2im', n1)).toBe(0);
    expect(frozenDispatches).toBeLessThan(fullDispatches);
    const p1 = await model.arena.params.toFloat32();
    const grads = await model.arena.grads.toFloat32();
    for (const name of model.arena.names) {
      const e = model.arena.get(name);
      const span = (a: Float32Array) => a.subarray(e.offset, e.offset + e.size);
      const trainable = name.startsWith('fc.') || name.startsWith('layer4.1.');
      if (trainable) {
        expect(span(grads).some((v) => v !== 7), name).toBe(true);
        expect(span(p1).some((v, i) => v !== span(p0)[i]), name).toBe(true);
      } else {
        expect(span(grads).every((v) => v === 7), name).toBe(true);
        expect(span(p1).every((v, i) => v === span(p0)[i]), name).toBe(true);
      }
    }
    opt.destroy();
    model.destroy();
    for (const t of [images, labels]) t.release();
  });
});
