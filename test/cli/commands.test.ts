// The train, eval and predict commands end to end on a tiny PNG dataset in a temp folder
// (20 px images, width-8 ResNet18): the run folder's files, JSON progress events, the
// classification report in sklearn's layout, Grad-CAM PNGs, and --help for every command.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { useGpu } from '../helpers/gpu.js';
import { runTrain } from '../../src/cli/train.js';
import { runEval } from '../../src/cli/eval.js';
import { runPredict } from '../../src/cli/predict.js';
import { commands } from '../../src/cli/commands.js';
import { runSynth } from '../../src/cli/synth.js';
import { runWeb } from '../../src/cli/web.js';
import { readSafetensors } from '../../src/nn/weights/safetensors.js';
import { parseCheckpointMeta } from '../../src/session/checkpoint.js';
import { markupErrors } from '../report/wellformed.js';
import { Rng } from '../../src/reference/random.js';

const gpu = useGpu();

function sink() {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s), text: () => chunks.join(''), isTTY: false };
}

async function writeDataset(root: string, perClass: number, size = 20): Promise<void> {
  const rng = new Rng(11);
  const classes: Record<string, [number, number] | null> = { 'Glioblastoma T1': [0.3, 0.3], 'Meningioma T2': [0.7, 0.7], '_NORMAL T1': null };
  for (const [folder, blob] of Object.entries(classes)) {
    mkdirSync(join(root, folder), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(size * size);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          let v = Math.hypot(x - size / 2, y - size / 2) < size * 0.42 ? 90 + rng.uniform(-20, 20) : 5;
          if (blob && Math.hypot(x - blob[0] * size, y - blob[1] * size) < size * 0.15) v = 230;
          px[y * size + x] = Math.round(v);
        }
      await sharp(px, { raw: { width: size, height: size, channels: 1 } }).png().toFile(join(root, folder, `scan (${i + 1}).png`));
    }
  }
  writeFileSync(join(root, 'Glioblastoma T1', 'broken.jpg'), 'not a jpeg');
}

describe('CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'brainmri-cli-'));
  const data = join(root, 'data');
  const run = join(root, 'run');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('every command answers --help', async () => {
    const runners: Record<string, (argv: string[], out: ReturnType<typeof sink>) => Promise<number>> = {
      train: (a, out) => runTrain(a, { stdout: out, stderr: sink() }),
      eval: (a, out) => runEval(a, { stdout: out, stderr: sink() }),
      predict: (a, out) => runPredict(a, { stdout: out, stderr: sink() }),
      synth: (a, out) => runSynth(a, out),
      web: (a, out) => runWeb(a, out),
    };
    for (const c of commands.filter((c) => c.name !== 'adapters')) {
      const out = sink();
      expect(runners[c.name], c.name).toBeDefined();
      expect(await runners[c.name]!(['--help'], out), c.name).toBe(0);
      expect(out.text(), c.name).toContain('Usage:');
    }
    const out = sink();
    await runTrain(['--help'], { stdout: out, stderr: sink() });
    for (const flag of ['--data', '--out', '--weights', '--res', '--batch', '--epochs', '--max-steps', '--lr', '--optimizer', '--val-size', '--val-frac', '--stratify', '--seed', '--shuffle', '--augment', '--autocrop', '--labels', '--class-weights', '--tumor-normal-penalty', '--freeze-backbone', '--head', '--resume', '--json', '--adapter']) {
      expect(out.text()).toContain(flag);
    }
  });

  it('train --json writes the run folder; eval prints the report; predict gives top-k and heatmaps', async () => {
    await writeDataset(data, 6);
    const out = sink();
    const err = sink();
    const code = await runTrain(['--data', data, '--out', run, '--res', '20', '--batch', '5', '--epochs', '2', '--width', '8', '--autocrop', 'off', '--val-size', '3', '--json'], { stdout: out, stderr: err, gpu: gpu(), installStop: () => ({ dispose() {} }) });
    expect(code, err.text()).toBe(0);
    const events = out.text().trim().split('\n').map((l) => JSON.parse(l) as { event: string; text?: string; loss?: number });
    expect(events.filter((e) => e.event === 'step').length).toBe(6); // 15 train images / 5 per batch x 2 epochs
    const epochEvents = events.filter((e) => e.event === 'epoch') as { trainAccuracy?: number }[];
    expect(epochEvents.length).toBe(2);
    // Training accuracy per epoch, in the JSON progress and in metrics.jsonl.
    const metricLines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { trainAccuracy?: number });
    expect(metricLines.map((m) => m.trainAccuracy)).toEqual(epochEvents.map((e) => e.trainAccuracy));
    for (const m of metricLines) expect(m.trainAccuracy! >= 0 && m.trainAccuracy! <= 1, `trainAccuracy ${m.trainAccuracy}`).toBe(true);
    expect(events.at(-1)!.event).toBe('done');
    expect(events.some((e) => e.event === 'message' && /cannot use Glioblastoma T1\/broken\.jpg/.test(e.text ?? ''))).toBe(true);
    for (const f of ['model.safetensors', 'best.safetensors', 'optimizer.safetensors', 'state.json', 'metrics.jsonl', 'split.json', 'config.json', 'report.html', 'confusion.svg']) {
      expect(existsSync(join(run, f)), f).toBe(true);
    }
    expect(readdirSync(run).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(markupErrors(readFileSync(join(run, 'report.html'), 'utf8'), 'html')).toEqual([]);
    expect(markupErrors(readFileSync(join(run, 'confusion.svg'), 'utf8'), 'xml')).toEqual([]);
    const meta = parseCheckpointMeta(readSafetensors(new Uint8Array(readFileSync(join(run, 'model.safetensors')))).metadata);
    expect(meta).toMatchObject({ width: 8, inputSize: 20, numClasses: 15, epoch: 2 });

    // --weights: a checkpoint as initial weights (all 102 parameters and buffers match; counters are not counted), backbone frozen.
    const wOut = sink();
    expect(await runTrain(['--data', data, '--out', join(root, 'warm'), '--weights', join(run, 'model.safetensors'), '--freeze-backbone', '--res', '20', '--batch', '5', '--max-steps', '1', '--autocrop', 'off', '--val-size', '3'], { stdout: wOut, stderr: sink(), gpu: gpu(), installStop: () => ({ dispose() {} }) })).toBe(0);
    expect(wOut.text()).toMatch(/Weights: .*model\.safetensors: 102 tensors loaded\n/);
    expect(wOut.text()).toMatch(/Model: ResNet18 width 8, .*\(0\.00 M trained\)/);
    expect(wOut.text()).toContain('Reached --max-steps');

    const evalOut = sink();
    const evalDir = join(root, 'eval');
    expect(await runEval(['--checkpoint', join(run, 'best.safetensors'), '--data', data, '--split', join(run, 'split.json'), '--out', evalDir], { stdout: evalOut, stderr: sink(), gpu: gpu() })).toBe(0);
    const text = evalOut.text();
    expect(text).toMatch(/precision\s+recall\s+f1-score\s+support/);
    expect(text).toMatch(/\n\s+accuracy\s+[0-9.]+\s+3\n/);
    expect(text).toMatch(/macro avg/);
    expect(text).toMatch(/weighted avg/);
    for (const f of ['report.html', 'confusion.svg', 'evaluation.json', 'predictions.csv']) expect(existsSync(join(evalDir, f)), f).toBe(true);

    const predOut = sink();
    const heat = join(root, 'heat');
    const img = join(data, 'Meningioma T2', 'scan (1).png');
    expect(await runPredict(['--checkpoint', join(run, 'model.safetensors'), img, join(data, '_NORMAL T1'), '--json', '--heatmap', heat], { stdout: predOut, stderr: sink(), gpu: gpu() })).toBe(0);
    const rows = predOut.text().trim().split('\n').map((l) => JSON.parse(l) as { file: string; logits: number[]; top: { probability: number }[]; heatmap: string });
    expect(rows).toHaveLength(7);
    expect(rows[0]!.file).toBe(img);
    expect(rows[0]!.logits).toHaveLength(15);
    expect(rows[0]!.top).toHaveLength(3);
    expect(rows[0]!.top[0]!.probability).toBeGreaterThanOrEqual(rows[0]!.top[1]!.probability);
    const png = await sharp(rows[0]!.heatmap).metadata();
    expect(png.format).toBe('png');
    expect(png.width).toBeGreaterThanOrEqual(224);
  });

  it('Ctrl-C (stop) saves a resumable state and --resume finishes the run', async () => {
    const dir = join(root, 'stopped');
    const out = sink();
    let trigger: () => void = () => {};
    const io = { stdout: out, stderr: sink(), gpu: gpu(), installStop: (f: () => void) => ((trigger = f), { dispose() {} }) };
    // Stop as soon as the first step is reported.
    const stdout = { write: (s: string) => (s.includes('"event":"step"') && trigger(), out.write(s)) };
    expect(await runTrain(['--data', data, '--out', dir, '--res', '20', '--batch', '5', '--epochs', '2', '--width', '8', '--autocrop', 'off', '--val-size', '3', '--json'], { ...io, stdout })).toBe(0);
    expect(out.text()).toContain('Resume with: npm run train -- --resume');
    // Step 2 was already on the device when step 1 was reported (one step stays in flight): it is
    // booked before the state is saved.
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toMatchObject({ epoch: 1, stepInEpoch: 2, globalStep: 2 });
    const out2 = sink();
    expect(await runTrain(['--resume', dir, '--json'], { ...io, stdout: out2 })).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toMatchObject({ epoch: 3, stepInEpoch: 0, globalStep: 6 });
  });
});
