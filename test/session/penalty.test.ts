// --tumor-normal-penalty on a case built to provoke tumour-to-Normal errors: tumour and Normal
// images drawn from the same distribution (nothing to tell them apart), Normal three times as
// common. Plain cross-entropy then learns the prior (P(Normal) = 3/4) and calls every image
// Normal. With the penalty X the optimum of 3/4 (-log p) + 1/4 (-log(1 - p)) + X/4 p is below
// 1/2 once X > 4 (X = 10: p ~ 0.26), so the tumours stop being called Normal. The backbone is
// frozen so only the classifier learns (a convex problem that converges in a few SGD steps).
// Same data, seed and steps for both runs.
import { useGpu } from '../helpers/gpu.js';
import { defaultConfig, resolveConfig } from '../../src/session/config.js';
import { MemoryRunStore, RUN_FILES } from '../../src/session/io.js';
import { modelFromCheckpoint } from '../../src/session/checkpoint.js';
import { logitsFor, metricsFromLogits } from '../../src/session/evaluate.js';
import { tumourNormalCostMatrix } from '../../src/session/loss.js';
import { TrainingRun } from '../../src/session/train.js';
import { rawImage, tinySet } from './tiny.js';

const gpu = useGpu();

describe('tumour-to-Normal penalty', () => {
  it('builds the cost matrix: tumour rows pay X in the Normal columns only', () => {
    const c = tumourNormalCostMatrix(4, [2], 5);
    expect(Array.from(c)).toEqual([0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 5, 0]);
  });

  it('lowers tumour-to-Normal errors where the classes cannot be told apart', async () => {
    const noise = (rng: { uniform(a: number, b: number): number }) => rawImage(16, 16, () => 100 + rng.uniform(-40, 40));
    const set = tinySet({ 'Glioblastoma T1': noise, '_NORMAL T1': noise }, { 'Glioblastoma T1': 6, '_NORMAL T1': 18 }, 7);
    const tumour = set.dataset.labels.indexOf('Glioblastoma');
    const normal = set.dataset.labels.indexOf('Normal');
    const missesWith = async (penalty: number): Promise<number> => {
      const store = new MemoryRunStore();
      const config = resolveConfig(defaultConfig({ isSwiftShader: true }), { res: 16, batch: 12, epochs: 8, width: 4, autocrop: 'off', valSize: 0, augment: false, freezeBackbone: true, optimizer: 'sgd', lr: 0.1, tumorNormalPenalty: penalty });
      await new TrainingRun(gpu(), { dataset: set.dataset }, { config }, { source: set.source, store }).run();
      const { model } = await modelFromCheckpoint(gpu(), store.files.get(RUN_FILES.model)!);
      const m = metricsFromLogits(await logitsFor(gpu(), model, set.dataset.items, set.source, { size: 16, batch: 12, crop: { mode: 'none', fraction: 0.1, ignoreFramePixels: 0 } }));
      model.destroy();
      return set.dataset.items.filter((it, i) => it.label === tumour && m.predicted[i] === normal).length;
    };
    const plain = await missesWith(0);
    const penalised = await missesWith(10);
    // Without the penalty most tumours are called Normal (the prior); with it, far fewer.
    expect(plain).toBeGreaterThanOrEqual(4);
    expect(penalised).toBeLessThan(plain);
    expect(penalised).toBeLessThanOrEqual(1);
  });
});
