// The bench harness, run in-process on tiny shapes so it cannot silently rot: JSON structure,
// validation actually running (and failing on a wrong reference), the table. No timing thresholds.
import { Tensor } from '../src/gpu/tensor.js';
import { relu } from '../src/kernels/elementwise.js';
import { defineCase, randomTensor } from '../bench/cases/common.js';
import { kernelCases } from '../bench/cases/index.js';
import { formatReport, resultFileName } from '../bench/report.js';
import { benchKernelCase, BENCH_SCHEMA, runBench, type BenchOptions } from '../bench/run.js';
import { resnet18Shapes, forwardMacsPerImage } from '../bench/shapes.js';
import { runStep } from '../bench/steps.js';
import { useGpu } from './helpers/gpu.js';

const gpu = useGpu();

const tiny: BenchOptions = {
  groups: ['kernels', 'train', 'infer'],
  res: 32,
  batch: 2,
  warmup: 1,
  repeats: 2,
  steps: 2,
  quick: true,
  timing: 'auto',
  // Cheap cases only (SwiftShader is slow and shared): the head and one 1x1 convolution.
  filter: ['fc', 'conv2d.forward layer2.0.downsample'],
  width: 8,
  ceilings: true,
  allVariants: false,
  ceilingSizes: { copyBytes: 1 << 20, matmulSize: 256 },
  vsTorch: false,
  validateMacs: 3e8,
  log: () => {},
};

describe('ResNet18 shapes', () => {
  it('match torchvision resnet18 (15 classes): parameter count and forward MACs', () => {
    const s = resnet18Shapes(224, 1);
    // torchvision: 11,689,512 parameters with 1000 classes; the head is 512*k + k.
    expect(s.params).toBe(11_689_512 - 513 * 1000 + 513 * 15);
    // 1.814 GMAC per 224x224 image (convs + head), as commonly quoted for ResNet18 (1.82 with 1000 classes).
    expect(forwardMacsPerImage(s) / 1e9).toBeCloseTo(1.8136, 3);
    expect(s.convs.reduce((n, c) => n + c.count, 0)).toBe(20);
    expect(s.batchnorms.reduce((n, c) => n + c.count, 0)).toBe(20);
    expect(s.maxpool.ho).toBe(56);
    expect(s.avgpool.h).toBe(7);
  });
});

describe('bench run (tiny)', () => {
  it('produces the JSON document: ceilings, validated kernel cases, step entries', async () => {
    const report = await runBench(gpu(), tiny);
    const json = JSON.parse(JSON.stringify(report)) as typeof report;
    expect(json.schema).toBe(BENCH_SCHEMA);
    expect(json.adapter.label.length).toBeGreaterThan(0);
    expect(json.model.params).toBeGreaterThan(11e6);

    expect(json.ceilings).not.toBeNull();
    expect(json.ceilings!.bandwidth_GBps).toBeGreaterThan(0);
    expect(json.ceilings!.matmul.length).toBeGreaterThanOrEqual(3);
    for (const m of json.ceilings!.matmul) expect(m.ok, `${m.variant} rel err ${m.maxRelErr}`).toBe(true);

    expect(json.cases.length).toBeGreaterThan(0);
    for (const c of json.cases) {
      expect(c.name.includes('fc') || c.name.includes('downsample')).toBe(true);
      expect(c.median_ms).toBeGreaterThan(0);
      expect(c.all_ms).toHaveLength(tiny.repeats);
      expect(c.flops).toBeGreaterThan(0);
      expect(c.bytes).toBeGreaterThan(0);
      expect(c.dispatches).toBeGreaterThan(0);
      expect(c.pct_bandwidth).not.toBeNull();
      // Validation ran: it compared named outputs and produced a finite error within tolerance.
      expect(c.validation.compared.length, c.name).toBeGreaterThan(0);
      expect(Number.isFinite(c.validation.maxRelErr), c.name).toBe(true);
      expect(c.validation.ok, `${c.name}: ${c.validation.maxRelErr}`).toBe(true);
    }
    expect(json.ok).toBe(true);

    expect(json.steps.map((s) => s.name)).toEqual(['resnet18-w8.train', 'resnet18-w8.infer']);
    for (const s of json.steps) {
      expect(s.available, s.note).toBe(true);
      expect(s.ok, s.name).toBe(true);
      expect(s.median_ms).toBeGreaterThan(0);
      expect(s.all_ms).toHaveLength(tiny.steps);
      expect(s.first_step_ms).toBeGreaterThan(0);
      expect(s.img_s).toBeGreaterThan(0);
      // One submit per step; a step records the whole network (dozens of dispatches).
      expect(s.submits_per_step).toBe(1);
      expect(s.dispatches_per_step).toBeGreaterThan(40);
      expect(s.peak_pool_bytes).toBeGreaterThan(0);
    }
    const train = json.steps[0]!;
    expect(Number.isFinite(train.loss_first) && Number.isFinite(train.loss_last)).toBe(true);
    // The first step compiled the training pipelines (steps run before the kernel lab).
    expect(train.pipelines_compiled).toBeGreaterThan(10);

    const text = formatReport(json);
    for (const c of json.cases) expect(text).toContain(c.op);
    expect(text).toContain('ceilings');
    expect(resultFileName(json)).toMatch(/_r32b2_quick\.json$/);
  });

  it('times steps pipelined (as the trainer runs them) or serially, with the same arithmetic', async () => {
    const opts = { res: 32, batch: 2, warmup: 1, steps: 3, profile: false, width: 8, log: () => {} };
    const pipelined = await runStep(gpu(), 'train', opts);
    const serial = await runStep(gpu(), 'train', { ...opts, serial: true });
    expect(pipelined.timing).toBe('pipelined');
    expect(serial.timing).toBe('serial');
    for (const s of [pipelined, serial]) {
      expect(s.ok).toBe(true);
      expect(s.all_ms).toHaveLength(3);
      expect(s.submits_per_step).toBe(1); // the loss copy rides in the step's own submit
    }
    // Same model seed and batch: the in-flight step changes when the loss is read, not what it is.
    expect(pipelined.loss_first).toBe(serial.loss_first);
    expect(pipelined.loss_last).toBe(serial.loss_last);
  });

  it('declares every case with explicit FLOPs and bytes at the given batch', () => {
    const cases = kernelCases(resnet18Shapes(64, 3));
    expect(cases.length).toBeGreaterThan(10);
    for (const c of cases) {
      expect(c.flops, c.name).toBeGreaterThan(0);
      expect(c.bytes, c.name).toBeGreaterThan(0);
      if (c.op !== 'optim.adadelta') expect(c.shape, c.name).toMatch(/\[3,/);
    }
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('validates at batch 1 when the reference at full batch would cost too much', async () => {
    const c = kernelCases(resnet18Shapes(32, 2)).find((k) => k.name === 'conv2d.forward layer2.0.downsample.0');
    expect(c?.atBatch).toBeDefined();
    const r = await benchKernelCase(gpu(), c!, { warmup: 0, repeats: 1, validateMacs: 1, batch: 2, method: 'wall-sync' }, null);
    expect(r.validation.batch).toBe(1);
    expect(r.validation.ok, `rel err ${r.validation.maxRelErr}`).toBe(true);
    expect(r.shape).toContain('x[2,64,8,8]');
  });

  it('reports a failed check when the kernel disagrees with its reference', async () => {
    // relu on the GPU against a deliberately wrong reference (identity): validation must fail.
    const shape = [2, 8, 4, 4];
    const wrong = defineCase({
      op: 'test.relu_vs_identity',
      layer: 'none',
      shape: 'x[2,8,4,4]',
      count: 1,
      flops: 256,
      bytes: 2048,
      referenceMacs: 256,
      tolerance: 1e-6,
      inputs: (rng) => ({ x: randomTensor(rng, shape) }),
      run: (g, t): Tensor[] => [relu(g, t.x)],
      outputs: ['y'],
      reference: (h) => [Float64Array.from(h.x.data)],
    });
    const r = await benchKernelCase(gpu(), wrong, { warmup: 0, repeats: 1, validateMacs: 1e9, batch: 2, method: 'wall-sync' }, null);
    expect(r.validation.ok).toBe(false);
    expect(r.validation.maxRelErr).toBeGreaterThan(0.1);
    expect(r.pct_flops).toBeNull();
  });
});
