// The training step's correct count: trainStepWithStats / lossAndGradientsWithStats return
// [loss, correct] in one (2) f32 tensor. The count must be the argmax of the step's own logits
// (train-mode forward, before the update) compared with the labels, as counted on the CPU.
// Narrow ResNet18 (width 4, 16x16, 5 classes, batch 6).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import { Adadelta } from '../../src/nn/optim.js';
import { ResNet18 } from '../../src/nn/resnet.js';
import { lossAndGradientsWithStats, trainStepWithStats } from '../../src/nn/train.js';
import { argmaxRows } from '../../src/reference/reduce.js';
import { softmaxCrossEntropy } from '../../src/reference/softmax_ce.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu({ poison: true });
const seed = testSeed();
const why = (what: string): string => `${what} (seed ${seed}; rerun with BRAINMRI_TEST_SEED=${seed})`;
const N = 6;
const K = 5;
const S = 16;

function cpuCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  const pred = argmaxRows(logits, N, K);
  let c = 0;
  for (let i = 0; i < N; i++) if (pred[i] === labels[i]) c++;
  return c;
}

describe('training step correct count (width 4, 16x16, batch 6)', () => {
  it('equals the CPU count from the step\'s own logits, with exactly k of 6 right for k = 0, 2, 6', async () => {
    const g = gpu();
    const rng = new Rng(seed);
    const model = new ResNet18(g, { numClasses: K, width: 4, seed });
    model.train();
    const images = Tensor.fromArray(g, rng.array(N * 3 * S * S, -2, 2), [N, 3, S, S]);

    const probeLabels = Tensor.fromArray(g, [0, 1, 2, 3, 4, 0], [N], 'i32');
    const opt = new Adadelta(model.arena);
    trainStepWithStats(model, opt, images, probeLabels).release(); // creates the optimiser state
    for (const k of [0, 2, 6]) {
      // The step's logits for the current weights and these images (the labels do not change them).
      const probe = lossAndGradientsWithStats(model, images, probeLabels, {}, { keepLogits: true });
      const logits0 = await probe.logits!.toFloat32();
      probe.stats.release();
      probe.logits!.release();
      const pred = argmaxRows(logits0, N, K);
      // The first k images labelled with their prediction, the rest with another class.
      const labels = Array.from(pred, (p, i) => (i < k ? p : (p + 1 + (i % (K - 1))) % K));
      const labelsT = Tensor.fromArray(g, labels, [N], 'i32');
      const { stats, logits } = lossAndGradientsWithStats(model, images, labelsT, {}, { keepLogits: true });
      const [loss, correct] = await stats.toFloat32();
      const l = await logits!.toFloat32();
      // The same weights and images give the same logits, so the labels above force exactly k.
      expect(Array.from(l), why('logits repeat')).toEqual(Array.from(logits0));
      expect(correct, why(`count k=${k}`)).toBe(cpuCorrect(l, labels));
      expect(correct, why(`count k=${k}`)).toBe(k);
      // stats[0] is the loss of those logits: f32 log-softmax of 5 values and a mean of 6, a few
      // ulps; 1e-5 relative catches any other value.
      const want = softmaxCrossEntropy(l, labels, N, K).loss;
      expect(Math.abs(loss! - want) / Math.abs(want), why('loss')).toBeLessThan(1e-5);
      stats.release();
      logits!.release();

      // The full step records without readback or submit, holds only stats afterwards, and counts
      // the forward before its own update (the weights above); the update changes the logits
      // the next k is forced on.
      await g.sync();
      const before = { ...g.counters };
      const live0 = g.pool.stats().liveBuffers;
      const stepStats = trainStepWithStats(model, opt, images, labelsT);
      expect(g.counters.readbacks - before.readbacks).toBe(0);
      expect(g.counters.submits - before.submits).toBe(0);
      expect(g.pool.stats().liveBuffers - live0).toBe(1);
      expect(stepStats.shape).toEqual([2]);
      const [stepLoss, stepCorrect] = await stepStats.toFloat32();
      expect(stepCorrect, why(`step count k=${k}`)).toBe(k);
      expect(stepLoss, why('step loss')).toBe(loss);
      stepStats.release();
      labelsT.release();
    }
    probeLabels.release();
    opt.destroy();
    model.destroy();
    images.release();
  });
});
