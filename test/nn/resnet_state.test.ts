// ResNet18's state_dict: a torch.save .pth loads strictly and equals what PyTorch wrote; export and
// re-import reproduce the model exactly (through safetensors); strict and non-strict loading; the
// 'append' head variant. Fixture: test/fixtures/parity/resnet18_w8.pth (width 8, 15 classes).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor.js';
import { ResNet18 } from '../../src/nn/resnet.js';
import { evalForward, lossAndGradients } from '../../src/nn/train.js';
import { loadWeights } from '../../src/nn/weights/load.js';
import { loadWeightsFile } from '../../src/nn/weights/node.js';
import { writeSafetensors } from '../../src/nn/weights/safetensors.js';
import { toFloat32 } from '../../src/nn/weights/state-dict.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { useGpu } from '../helpers/gpu.js';
import { PARITY_DIR, ParityFixture } from './parity_fixture.js';

const gpu = useGpu({ poison: true });
const fx = new ParityFixture('resnet18_w8');
const { width, classes } = fx.meta;
const seed = testSeed();

describe('ResNet18 state_dict', () => {
  it('loads the .pth PyTorch wrote (strict), values and num_batches_tracked included', async () => {
    const { tensors, format } = await loadWeightsFile(join(PARITY_DIR, 'resnet18_w8.pth'));
    expect(format).toBe('pth');
    const model = new ResNet18(gpu(), { numClasses: classes, width });
    const report = model.loadStateDict(tensors, { strict: true });
    expect(report.ok).toBe(true);
    const sd = await model.stateDict();
    expect([...sd.keys()]).toEqual([...tensors.keys()]);
    for (const [k, t] of sd) {
      if (k.endsWith('num_batches_tracked')) {
        expect(t.data, k).toEqual(BigInt64Array.of(3n));
        expect(tensors.get(k)!.dtype, k).toBe('i64');
      } else {
        expect(t.data, k).toEqual(Float32Array.from(fx.get(`init/${k}`)));
      }
    }
    model.destroy();
  });

  it('exports and re-imports exactly: same state, same eval logits (via safetensors bytes)', async () => {
    const g = gpu();
    const a = new ResNet18(g, { numClasses: 6, width: 4, seed });
    const images = Tensor.fromArray(g, new Rng(seed).array(2 * 3 * 16 * 16, -2, 2), [2, 3, 16, 16]);
    const labels = Tensor.fromArray(g, [0, 5], [2], 'i32');
    lossAndGradients(a, images, labels).release(); // moves running stats and the counters
    const bytes = writeSafetensors(await a.stateDict());
    const b = new ResNet18(g, { numClasses: 6, width: 4, seed: seed + 1 });
    b.loadStateDict((await loadWeights(bytes)).tensors);
    const sa = await a.stateDict();
    const sb = await b.stateDict();
    for (const [k, t] of sa) expect(sb.get(k)!.data, k).toEqual(t.data);
    expect(sa.get('bn1.num_batches_tracked')!.data).toEqual(BigInt64Array.of(1n));
    const la = evalForward(a, images);
    const lb = evalForward(b, images);
    expect(await lb.toFloat32()).toEqual(await la.toFloat32());
    for (const t of [la, lb, images, labels]) t.release();
    a.destroy();
    b.destroy();
  });

  it('strict loading names what is wrong; non-strict loads the rest (ImageNet weights into 15 classes)', async () => {
    const g = gpu();
    const imagenet = new ResNet18(g, { numClasses: 1000, width: 4, seed });
    const sd = await imagenet.stateDict();
    const ours = new ResNet18(g, { numClasses: 15, width: 4, seed: seed + 1 });
    const fcBefore = (await ours.stateDict()).get('fc.weight')!.data;
    expect(() => ours.loadStateDict(sd)).toThrow(/shape mismatch for fc\.weight: model has \[15, 32\], file has \[1000, 32\]/);
    const report = ours.loadStateDict(sd, { strict: false });
    expect(report.misShaped.map((m) => m.key)).toEqual(['fc.weight', 'fc.bias']);
    const after = await ours.stateDict();
    expect(after.get('layer2.0.downsample.0.weight')!.data).toEqual(sd.get('layer2.0.downsample.0.weight')!.data);
    expect(after.get('fc.weight')!.data).toEqual(fcBefore);
    sd.delete('bn1.running_var');
    expect(() => ours.loadStateDict(sd)).toThrow(/missing \(1\): bn1\.running_var/);
    imagenet.destroy();
    ours.destroy();
  });

  it("head 'append' keeps the 1000-way fc and appends head = Linear(1000, n); both get gradients", async () => {
    const g = gpu();
    const imagenet = new ResNet18(g, { numClasses: 1000, width: 4, seed });
    const m = new ResNet18(g, { numClasses: 15, width: 4, head: 'append', seed: seed + 1 });
    const names = m.entries.map((e) => e.name);
    expect(names.slice(-4)).toEqual(['fc.weight', 'fc.bias', 'head.weight', 'head.bias']);
    expect(m.arena.get('fc.weight').shape).toEqual([1000, 32]);
    expect(m.arena.get('head.weight').shape).toEqual([15, 1000]);
    // ImageNet weights load with only the new head missing.
    const report = m.loadStateDict(await imagenet.stateDict(), { strict: false });
    expect(report.missing).toEqual(['head.weight', 'head.bias']);
    const images = Tensor.fromArray(g, new Rng(seed).array(2 * 3 * 16 * 16, -2, 2), [2, 3, 16, 16]);
    const labels = Tensor.fromArray(g, [3, 14], [2], 'i32');
    lossAndGradients(m, images, labels).release();
    const grads = await m.arena.grads.toFloat32();
    for (const n of ['fc.weight', 'head.weight', 'head.bias']) {
      const e = m.arena.get(n);
      expect(grads.subarray(e.offset, e.offset + e.size).some((v) => v !== 0), n).toBe(true);
    }
    const logits = evalForward(m, images);
    expect(logits.shape).toEqual([2, 15]);
    for (const t of [logits, images, labels]) t.release();
    imagenet.destroy();
    m.destroy();
  });

  it('initialises as torchvision: conv std sqrt(2 / fan_out), BN 1 and 0, linear within 1/sqrt(fan_in)', async () => {
    const m = new ResNet18(gpu(), { numClasses: 15, width: 16, seed });
    const sd = await m.stateDict();
    const w = toFloat32(sd.get('layer3.0.conv1.weight')!); // (64, 32, 3, 3): fan_out 576
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(Math.abs(std / Math.sqrt(2 / 576) - 1)).toBeLessThan(0.03); // 18,432 draws: 1 % s.e.
    expect(toFloat32(sd.get('layer1.1.bn2.weight')!).every((v) => v === 1)).toBe(true);
    expect(toFloat32(sd.get('layer1.1.bn2.bias')!).every((v) => v === 0)).toBe(true);
    const fc = toFloat32(sd.get('fc.weight')!);
    const bound = 1 / Math.sqrt(128);
    expect(fc.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Math.max(...fc.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    m.destroy();
  });
});
