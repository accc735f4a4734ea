// ResNet18 (narrow, torchvision topology) against PyTorch: logits in train and eval mode, every
// parameter gradient, BatchNorm running statistics after a step, the update of one Adadelta step
// and of two SGD-momentum steps, and an 8-step loss curve. Truth: PyTorch float64; criterion in
// parity_fixture.ts (engine error <= 4e-6 + 10 x PyTorch-float32's error, per tensor and overall).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GpuOptions } from '../../src/gpu/runtime.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { Adadelta, Sgd } from '../../src/nn/optim.js';
import { ResNet18 } from '../../src/nn/resnet.js';
import { evalForward, trainStep } from '../../src/nn/train.js';
import { loadWeightsFile } from '../../src/nn/weights/node.js';
import type { StateDict } from '../../src/nn/weights/state-dict.js';
import { useGpu } from '../helpers/gpu.js';
import { expectWithinBound, globalErrors, judge, K_GLOBAL, PARITY_DIR, ParityFixture, trainForwardBackward, type Judged } from './parity_fixture.js';

const fx = new ParityFixture('resnet18_w8');
const { width, classes, batch, size } = fx.meta;

// With the conv algorithms the adapter picks (on SwiftShader, at these sizes, the direct
// kernels); with Winograd F(2x2, 3x3) forced on every 3x3 stride-1 conv (down to 2x2 and 1x1
// images); and with each shared-memory GEMM engine of real GPUs, run here on this adapter.
const SETUPS: { label: string; options: GpuOptions }[] = [
  { label: '', options: {} },
  { label: ', Winograd forced', options: { winograd: true } },
  { label: ", conv engine 'tiled'", options: { conv2dVariant: 'tiled' } },
  { label: ", conv engine 'tiled128'", options: { conv2dVariant: 'tiled128' } },
];
for (const setup of SETUPS) {
  describe(`ResNet18 parity with PyTorch (width 8, 15 classes, batch 4, 32x32)${setup.label}`, () => {
    const gpu = useGpu({ poison: true, ...setup.options });

    let model: ResNet18;
    let images: Tensor;
    let labels: Tensor;
    let initial: StateDict;

    beforeAll(async () => {
      // The initial state as torch.save wrote it (resnet_state.test.ts checks it equals init/* in the .bin).
      initial = (await loadWeightsFile(join(PARITY_DIR, 'resnet18_w8.pth'))).tensors;
      model = new ResNet18(gpu(), { numClasses: classes, width });
      images = Tensor.fromArray(gpu(), fx.get('input'), [batch, 3, size, size]);
      labels = Tensor.fromArray(gpu(), fx.get('labels'), [batch], 'i32');
    });

    /** Back to the fixture's initial state: parameters, running statistics, counters, train mode. */
    function reset(): void {
      model.loadStateDict(initial, { strict: true });
      model.train();
    }

    function expectGlobal(group: string, judged: Judged[], names: string[]): void {
      const g = globalErrors(judged, names.map((n) => fx.entry(n)));
      console.log(`${group} overall L2: engine ${g.engine.toExponential(2)}, torch-f32 ${g.torch32.toExponential(2)}`);
      expect(g.engine, `${group}: overall L2 error`).toBeLessThanOrEqual(K_GLOBAL * g.torch32);
    }

    async function paramValues(): Promise<Map<string, Float32Array>> {
      const all = await model.arena.params.toFloat32();
      const out = new Map<string, Float32Array>();
      for (const name of model.arena.names) {
        const e = model.arena.get(name);
        out.set(name, all.subarray(e.offset, e.offset + e.size));
      }
      return out;
    }

    /** Parameter change since the initial state (what an optimiser step computed), per tensor. */
    async function judgeUpdates(prefix: string): Promise<Judged[]> {
      const now = await paramValues();
      return fx.meta.param_names.map((name) => {
        const init = fx.get(`init/${name}`);
        const p = now.get(name)!;
        const delta = new Float64Array(p.length);
        for (let i = 0; i < p.length; i++) delta[i] = p[i]! - init[i]!;
        return judge(`${prefix}/${name}`, delta, fx.get(`${prefix}/${name}`), fx.entry(`${prefix}/${name}`));
      });
    }

    it('has torchvision resnet18 state_dict names and shapes at width 64', () => {
      const full = new ResNet18(gpu(), { numClasses: 1000, width: 64 });
      const expected = fx.meta.torchvision_resnet18.map(([k, s]) => `${k}:${s.join('x')}`);
      const ours = full.entries.map((e) => `${e.name}:${(e.kind === 'param' ? full.arena.get(e.name).shape : e.kind === 'buffer' ? e.tensor.shape : []).join('x')}`);
      expect(ours).toEqual(expected);
      full.destroy();
    });

    it('eval-mode logits', async () => {
      reset();
      const logits = evalForward(model, images);
      const j = judge('eval/logits', await logits.toFloat32(), fx.get('eval/logits'), fx.entry('eval/logits'));
      logits.release();
      expectWithinBound('eval logits', [j]);
    });

    it('train-mode logits, loss, every parameter gradient, running statistics', async () => {
      reset();
      expectWithinBound('train logits and loss', await trainForwardBackward(model, images, labels, fx));

      const grads = await model.arena.grads.toFloat32();
      const gradNames = fx.meta.param_names.map((n) => `grad/${n}`);
      const gj = fx.meta.param_names.map((name) => {
        const e = model.arena.get(name);
        return judge(`grad/${name}`, grads.subarray(e.offset, e.offset + e.size), fx.get(`grad/${name}`), fx.entry(`grad/${name}`));
      });
      expect(gj.length).toBe(62);
      expectWithinBound('gradients', gj);
      expectGlobal('gradients', gj, gradNames);

      const sj: Judged[] = [];
      const statNames: string[] = [];
      for (const e of model.entries) {
        if (e.kind !== 'buffer') continue;
        const now = await e.tensor.toFloat32();
        const init = fx.get(`init/${e.name}`);
        const delta = Float64Array.from(now, (v, i) => v - init[i]!);
        statNames.push(`stats/${e.name}`);
        sj.push(judge(`stats/${e.name}`, delta, fx.get(`stats/${e.name}`), fx.entry(`stats/${e.name}`)));
      }
      expect(sj.length).toBe(40);
      expectWithinBound('running statistics (change after one step)', sj);
      expectGlobal('running statistics', sj, statNames);
      const sd = await model.stateDict();
      expect(sd.get('layer3.0.downsample.1.num_batches_tracked')!.data).toEqual(BigInt64Array.of(4n));

      // One Adadelta step (torch defaults) from these gradients.
      const adadelta = new Adadelta(model.arena);
      adadelta.step();
      adadelta.destroy();
      const aj = await judgeUpdates('adadelta');
      expectWithinBound('Adadelta step (parameter updates)', aj);
      expectGlobal('Adadelta step', aj, fx.meta.param_names.map((n) => `adadelta/${n}`));
    });

    it('two SGD-momentum steps', async () => {
      reset();
      const s = fx.meta.sgd;
      const opt = new Sgd(model.arena, { lr: s.lr, momentum: s.momentum, dampening: s.dampening, weightDecay: s.weight_decay, nesterov: s.nesterov });
      for (let i = 0; i < 2; i++) trainStep(model, opt, images, labels).release();
      opt.destroy();
      const j = await judgeUpdates('sgd2');
      expectWithinBound('SGD momentum, 2 steps (parameter updates)', j);
      expectGlobal('SGD 2 steps', j, fx.meta.param_names.map((n) => `sgd2/${n}`));
    });

    it(`loss curve: ${fx.meta.curve_steps} Adadelta steps on one batch`, async () => {
      reset();
      const opt = new Adadelta(model.arena);
      const losses: number[] = [];
      const bindGroupsMade: number[] = [];
      for (let i = 0; i < fx.meta.curve_steps; i++) {
        const before = gpu().counters.bindGroupsCreated;
        const loss = trainStep(model, opt, images, labels);
        losses.push((await loss.toFloat32())[0]!);
        loss.release();
        bindGroupsMade.push(gpu().counters.bindGroupsCreated - before);
      }
      opt.destroy();
      // Once the optimiser state exists, every step gets the same pooled buffers for the same
      // tensors, so each of its dispatches finds its bind group cached (none made anew; with
      // last-released-first buffers this step made ~500 a step).
      expect(bindGroupsMade.slice(2), `bind groups made per step: ${bindGroupsMade.join(' ')}`).toEqual(bindGroupsMade.slice(2).map(() => 0));
      const truth = fx.get('curve/loss');
      console.log(`loss curve engine ${losses.map((l) => l.toFixed(5)).join(' ')}\n           truth  ${[...truth].map((l) => l.toFixed(5)).join(' ')}`);
      // One bound for the whole curve: PyTorch-float32's largest deviation over the curve (a
      // per-step bound would divide by an error that is near zero at some steps by chance).
      const j = judge('curve/loss', losses, truth, fx.entry('curve/loss'));
      expectWithinBound('loss curve', [j]);
      expect(losses[losses.length - 1]!).toBeLessThan(0.5 * losses[0]!);
    });
  });
}
