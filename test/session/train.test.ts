// TrainingRun end to end on a tiny in-memory set (20 px images, width-8 ResNet18): the loss falls,
// training accuracy is reported per epoch, checkpoints load back to the run's own validation
// logits, the report files are well formed, and a stopped-then-resumed run ends bit-identical to
// an uninterrupted one.
import { useGpu } from '../helpers/gpu.js';
import { Progress } from '../../src/cli/progress.js';
import { confusionSvg, renderReport, evaluationSummary } from '../../src/report/index.js';
import { defaultConfig, resolveConfig, type TrainConfig } from '../../src/session/config.js';
import { MemoryRunStore, RUN_FILES } from '../../src/session/io.js';
import { modelFromCheckpoint, parseCheckpointMeta } from '../../src/session/checkpoint.js';
import { logitsFor } from '../../src/session/evaluate.js';
import { TrainingRun, type TrainEvent } from '../../src/session/train.js';
import { readSafetensors } from '../../src/nn/weights/safetensors.js';
import { markupErrors } from '../report/wellformed.js';
import { blobSet } from './tiny.js';

const gpu = useGpu();

function config(over: Partial<TrainConfig>): TrainConfig {
  return resolveConfig(defaultConfig({ isSwiftShader: true }), { res: 20, batch: 6, epochs: 3, width: 8, autocrop: 'off', valSize: 6, ...over });
}

function reportingStore(): MemoryRunStore {
  const store = new MemoryRunStore('mem');
  store.writeReport = async (data) => {
    await store.write('report.html', renderReport(data));
    const s = evaluationSummary(data);
    await store.write('confusion.svg', confusionSvg(s.confusion, data.labelNames));
  };
  return store;
}

describe('TrainingRun', () => {
  it('trains: the loss falls, checkpoints reload to identical logits, report files parse', async () => {
    const set = blobSet(8, 20, 3);
    const store = reportingStore();
    const events: TrainEvent[] = [];
    const run = new TrainingRun(gpu(), { dataset: set.dataset }, { config: config({ epochs: 4 }) }, { source: set.source, store });
    const result = await run.run((e) => events.push(e));
    expect(result.reason).toBe('finished');
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(epochs).toHaveLength(4);
    const losses = epochs.map((e) => (e.type === 'epoch' ? e.trainLoss : NaN));
    // Three separable classes: the last epoch's mean loss is well below the first's.
    expect(losses[3]!).toBeLessThan(losses[0]! * 0.7);
    const start = events.find((e) => e.type === 'start');
    expect(start?.type === 'start' && start.data.train).toBe(18);
    expect(start?.type === 'start' && start.data.val).toBe(6);

    for (const f of Object.values(RUN_FILES)) expect(store.files.has(f), f).toBe(true);
    const metrics = store.text(RUN_FILES.metrics)!.trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; trainAccuracy?: number });
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2, 3, 4]);

    // Training accuracy: the per-step counts summed over the epoch, over the epoch's images.
    const steps = events.filter((e) => e.type === 'step');
    for (let ep = 1; ep <= 4; ep++) {
      const mine = steps.filter((e) => e.type === 'step' && e.epoch === ep);
      const correct = mine.reduce((s, e) => s + (e.type === 'step' ? e.correct : 0), 0);
      const images = mine.reduce((s, e) => s + (e.type === 'step' ? e.images : 0), 0);
      for (const e of mine) if (e.type === 'step') expect(Number.isInteger(e.correct) && e.correct >= 0 && e.correct <= e.images, `step correct ${e.correct}`).toBe(true);
      const acc = metrics[ep - 1]!.trainAccuracy;
      expect(acc, `epoch ${ep}`).toBeGreaterThanOrEqual(0);
      expect(acc, `epoch ${ep}`).toBeLessThanOrEqual(1);
      expect(acc, `epoch ${ep}`).toBeCloseTo(correct / images, 12);
      const ev = epochs[ep - 1]!;
      expect(ev.type === 'epoch' && ev.trainAccuracy).toBe(acc);
      expect(result.history[ep - 1]!.trainAccuracy).toBe(acc);
    }
    // Three separable classes: by the last epoch most training images are right.
    expect(metrics[3]!.trainAccuracy!).toBeGreaterThan(metrics[0]!.trainAccuracy!);

    // The progress line shows it (the CLI passes the epoch event's fields through).
    const printed: string[] = [];
    const progress = new Progress({ stream: { write: (t: string) => printed.push(t) }, mode: 'plain', now: () => 0 });
    for (const e of epochs) if (e.type === 'epoch') progress.epochEnd({ ...e });
    const lines = printed.join('').trim().split('\n');
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => expect(line).toContain(`train loss ${losses[i]!.toFixed(4)} acc ${(metrics[i]!.trainAccuracy! * 100).toFixed(1)}%`));
    expect(printed.join('')).not.toMatch(/train loss \S+ acc -/);

    // model.safetensors is the last epoch's model: its validation logits equal the run's, bit for bit.
    const bytes = store.files.get(RUN_FILES.model)!;
    const file = readSafetensors(bytes);
    expect(file.tensors.has('conv1.weight')).toBe(true);
    expect(file.tensors.has('layer4.1.bn2.running_var')).toBe(true);
    const meta = parseCheckpointMeta(file.metadata);
    expect(meta.labels).toEqual(set.dataset.labels);
    expect(meta.inputSize).toBe(20);
    expect(meta.preprocessing.autocrop.mode).toBe('none');
    const { model } = await modelFromCheckpoint(gpu(), bytes);
    const again = await logitsFor(gpu(), model, result.lastValLogits!.items, set.source, { size: 20, batch: 6, crop: meta.preprocessing.autocrop });
    model.destroy();
    expect(Array.from(again.logits)).toEqual(Array.from(result.lastValLogits!.logits));

    const html = store.text('report.html')!;
    expect(markupErrors(html, 'html')).toEqual([]);
    expect(html).toContain('Glioblastoma');
    for (let ep = 1; ep <= 4; ep++) expect(html).toContain(`<title>train acc, epoch ${ep}: `); // a point per epoch on the curve
    const svg = store.text('confusion.svg')!;
    expect(markupErrors(svg, 'xml')).toEqual([]);
    expect(svg).toContain('<svg');
  });

  it('a run stopped after N steps and resumed ends with the weights of an uninterrupted run', async () => {
    const set = blobSet(6, 20, 5);
    const cfg = config({ epochs: 2, valSize: 4 }); // 18 images: 14 train = batches of 6, 6, 2
    const whole = new MemoryRunStore();
    await new TrainingRun(gpu(), { dataset: set.dataset }, { config: cfg }, { source: set.source, store: whole }).run();

    const parted = new MemoryRunStore();
    const first = await new TrainingRun(gpu(), { dataset: set.dataset }, { config: { ...cfg, maxSteps: 4 } }, { source: set.source, store: parted }).run();
    expect(first.reason).toBe('max-steps');
    expect(first.globalStep).toBe(4); // mid epoch 2
    const state = JSON.parse(parted.text(RUN_FILES.state)!) as { epoch: number; stepInEpoch: number };
    expect(state).toMatchObject({ epoch: 2, stepInEpoch: 1 });
    // The same stop as written before the correct count was saved (state.json without correctSum).
    const legacy = new MemoryRunStore();
    for (const [k, v] of parted.files) legacy.files.set(k, v.slice());
    const legacyState = JSON.parse(parted.text(RUN_FILES.state)!) as Record<string, unknown>;
    expect(legacyState.correctSum).toBeGreaterThanOrEqual(0);
    delete legacyState.correctSum;
    await legacy.write(RUN_FILES.state, JSON.stringify(legacyState));
    const second = await new TrainingRun(gpu(), { dataset: set.dataset }, { config: cfg, resume: true }, { source: set.source, store: parted }).run();
    expect(second.reason).toBe('finished');
    expect(second.globalStep).toBe(6);
    // The stop saved the epoch's partial loss and correct count: epoch 2's figures match too.
    const figures = (st: MemoryRunStore) => st.text(RUN_FILES.metrics)!.trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; trainLoss: number; trainAccuracy: number }).map((m) => [m.epoch, m.trainLoss, m.trainAccuracy]);
    expect(figures(parted)).toEqual(figures(whole));
    expect(figures(whole).every(([, , acc]) => typeof acc === 'number' && acc >= 0 && acc <= 1)).toBe(true);
    // Resumed from the older state: epoch 2's training accuracy is unknown, so it is left out
    // rather than computed from part of the epoch; the loss is still there.
    await new TrainingRun(gpu(), { dataset: set.dataset }, { config: cfg, resume: true }, { source: set.source, store: legacy }).run();
    expect(figures(legacy)).toEqual([figures(whole)[0], [2, figures(whole)[1]![1], undefined]]);

    // stop() (Ctrl-C, the page's Stop button) during step 3's event: step 4 is already on the
    // device (one step stays in flight), so it is booked too and the saved state says so.
    const stopped = new MemoryRunStore();
    const run = new TrainingRun(gpu(), { dataset: set.dataset }, { config: cfg }, { source: set.source, store: stopped });
    const stopResult = await run.run((e) => {
      if (e.type === 'step' && e.globalStep === 3) run.stop();
    });
    expect(stopResult.reason).toBe('stopped');
    expect(stopResult.globalStep).toBe(4);
    expect(JSON.parse(stopped.text(RUN_FILES.state)!)).toMatchObject({ epoch: 2, stepInEpoch: 1, globalStep: 4 });
    await new TrainingRun(gpu(), { dataset: set.dataset }, { config: cfg, resume: true }, { source: set.source, store: stopped }).run();
    expect(figures(stopped)).toEqual(figures(whole));

    for (const name of [RUN_FILES.model, RUN_FILES.optimizer]) {
      const a = readSafetensors(whole.files.get(name)!).tensors;
      for (const other of [parted, stopped]) {
        const b = readSafetensors(other.files.get(name)!).tensors;
        expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
        for (const [k, t] of a) expect(Array.from(b.get(k)!.data as ArrayLike<number | bigint>), `${name} ${k}`).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
      }
    }
  });

  it('a diverging loss stops the run with a clear message and keeps the last good model', async () => {
    const set = blobSet(6, 20, 8);
    const store = new MemoryRunStore();
    const cfg = config({ epochs: 1, valSize: 4, optimizer: 'sgd', lr: 0.01 });
    await new TrainingRun(gpu(), { dataset: set.dataset }, { config: cfg }, { source: set.source, store }).run();
    const good = store.files.get(RUN_FILES.model)!.slice();
    const goodBest = store.files.get(RUN_FILES.best)!.slice();
    // Resumed with an absurd learning rate: epoch 2 diverges.
    const events: TrainEvent[] = [];
    const result = await new TrainingRun(gpu(), { dataset: set.dataset }, { config: { ...cfg, epochs: 3, lr: 1e30 }, resume: true }, { source: set.source, store }).run((e) => events.push(e));
    expect(result.reason).toBe('diverged');
    expect(result.message).toMatch(/training diverged: the loss became (NaN|Infinity|-Infinity) at epoch 2, step \d+ .*try a lower --lr/);
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'diverged' });
    expect(store.files.get(RUN_FILES.model)).toEqual(good);
    expect(store.files.get(RUN_FILES.best)).toEqual(goodBest);
  });
});
