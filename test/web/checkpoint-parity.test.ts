// A checkpoint trained by the CLI (`brainmri train`, run as a child process from dist/cli.js)
// loads in the page and gives the same predictions as `brainmri predict --json` on the same
// images, and a checkpoint trained and downloaded in the page gives the same predictions in the
// CLI. Both sides run WebGPU on SwiftShader (Dawn in Node, Chromium's Dawn in the page). Inputs:
// PNGs (lossless, so both decoders give identical pixels) and one JPEG (libjpeg-turbo in both
// sharp and Chromium).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { renderSlice } from '../../src/data/synth.js';
import { Rng } from '../../src/reference/random.js';
import { ensurePageBuilt, openPage, ROOT, type PageSession } from './harness.js';

/** Runs the built CLI; throws with its output when it fails. */
function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BRAINMRI_ADAPTER: 'swiftshader' } });
  if (r.status !== 0) throw new Error(`brainmri ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface Prediction {
  name: string;
  logits: number[];
}

const argmax = (v: readonly number[]) => v.reduce((b, x, i) => (x > v[b]! ? i : b), 0);

/** max|a - b| / max|b|: the project's norm-relative error. */
function relErr(a: readonly number[], b: readonly number[]): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

describe('checkpoints move between the CLI and the page', () => {
  let s: PageSession;
  let dir: string;
  const images: { name: string; bytes: Uint8Array }[] = [];

  beforeAll(async () => {
    ensurePageBuilt(); // also builds dist/cli.js
    dir = mkdtempSync(join(tmpdir(), 'brainmri-parity-'));
    cli(['synth', '--out', join(dir, 'data'), '--scale', '0.001', '--seed', '11']);
    // Three PNG slices and one JPEG of the generated set.
    const kinds: [string, 'T1' | 'T1C+' | 'T2'][] = [['Meningioma', 'T1C+'], ['Normal', 'T2'], ['Glioblastoma', 'T1']];
    for (const [i, [type, seq]] of kinds.entries()) {
      const slice = renderSlice(type, seq, new Rng(900 + i));
      const gray = Buffer.from(Array.from(slice.gray, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
      const png = await sharp(gray, { raw: { width: slice.width, height: slice.height, channels: 1 } }).png().toBuffer();
      images.push({ name: `${type}-${seq}.png`, bytes: new Uint8Array(png) });
    }
    images.push({ name: 'astro.jpg', bytes: new Uint8Array(readFileSync(join(dir, 'data', 'Astrocitoma T2', readdirSync(join(dir, 'data', 'Astrocitoma T2'))[0]!))) });
    for (const img of images) writeFileSync(join(dir, img.name), img.bytes);
    s = await openPage();
    await s.page.waitForSelector('#adapter[data-state="ok"]', { timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await s?.close();
  });

  async function predictInPage(): Promise<Prediction[]> {
    const out: Prediction[] = [];
    for (const img of images) {
      await s.page.setInputFiles('#predict-input', { name: img.name, mimeType: img.name.endsWith('.png') ? 'image/png' : 'image/jpeg', buffer: Buffer.from(img.bytes) });
      await s.page.waitForFunction((name) => {
        const st = (globalThis as unknown as { brainmri: { lastPrediction: { name: string } | null } }).brainmri;
        const state = document.getElementById('predict')?.dataset.state;
        return state === 'error' || (state === 'done' && st.lastPrediction?.name === name);
      }, img.name, { timeout: 60_000 });
      expect(await s.page.getAttribute('#predict', 'data-state'), (await s.page.textContent('#predict-topk')) ?? '').toBe('done');
      const p = await s.page.evaluate(() => (globalThis as unknown as { brainmri: { lastPrediction: Prediction } }).brainmri.lastPrediction);
      out.push({ name: p.name, logits: p.logits });
      // Clear the input so choosing the next file fires 'change' even for equal names.
      await s.page.setInputFiles('#predict-input', []);
    }
    return out;
  }

  /** `brainmri predict --json`: one JSON object per image, in argument order. */
  function predictInCli(checkpoint: string): Prediction[] {
    const out = cli(['predict', '--checkpoint', checkpoint, '--json', ...images.map((img) => join(dir, img.name))]);
    const rows = out.trim().split('\n').map((line) => JSON.parse(line) as { file: string; logits: number[] });
    return rows.map((r) => ({ name: r.file.slice(r.file.lastIndexOf('/') + 1), logits: r.logits }));
  }

  function expectSame(page: Prediction[], node: Prediction[]): void {
    expect(page.map((p) => p.name)).toEqual(node.map((p) => p.name));
    // The images give different logits, so agreement is not a constant output agreeing with itself.
    expect(relErr(node[0]!.logits, node[1]!.logits)).toBeGreaterThan(1e-3);
    if (process.env.BRAINMRI_VERBOSE) for (let i = 0; i < node.length; i++) console.log(node[i]!.name, relErr(page[i]!.logits, node[i]!.logits), argmax(node[i]!.logits));
    for (let i = 0; i < node.length; i++) {
      const why = `${node[i]!.name}: page ${page[i]!.logits.map((v) => v.toFixed(4)).join(' ')} vs node ${node[i]!.logits.map((v) => v.toFixed(4)).join(' ')}`;
      expect(argmax(page[i]!.logits), why).toBe(argmax(node[i]!.logits));
      // Same kernels, same adapter kind, same pixels (PNG): only float summation order may differ.
      // The JPEG adds whatever the two libjpeg-turbo builds differ by (usually nothing).
      expect(relErr(page[i]!.logits, node[i]!.logits), why).toBeLessThan(node[i]!.name.endsWith('.png') ? 1e-4 : 2e-2);
    }
  }

  it('a checkpoint trained by the CLI loads in the page and gives the same top-1 (and logits)', async () => {
    const run = join(dir, 'run');
    cli(['train', '--data', join(dir, 'data'), '--out', run, '--res', '32', '--batch', '12', '--epochs', '1', '--max-steps', '3', '--width', '8', '--val-size', '0']);
    const path = join(run, 'model.safetensors');
    const node = predictInCli(path);

    await s.page.setInputFiles('#ckpt-load', path);
    await s.page.waitForSelector('#checkpoint[data-state="loaded"]', { timeout: 60_000 });
    expect(await s.page.textContent('#ckpt-status')).toContain('width 8, 15 labels');
    expectSame(await predictInPage(), node);

    // Choosing a dataset now makes Evaluate run the loaded checkpoint on its test split.
    await s.page.setInputFiles('#folder-input', join(dir, 'data'));
    await s.page.waitForFunction(() => document.querySelector('#data-summary')?.textContent?.includes('images in'), undefined, { timeout: 60_000 });
    await s.page.click('#eval-run');
    await s.page.waitForSelector('#evaluate[data-state="done"]', { timeout: 120_000 });
    expect(await s.page.locator('#report-table tbody tr').count()).toBe(18);
    expect(await s.page.locator('#eval-confusion svg').count()).toBe(1);
  }, 240_000);

  it('a checkpoint trained and downloaded in the page gives the same top-1 (and logits) in the CLI', async () => {
    const p = s.page;
    // The CLI's synthetic folder was chosen through the folder input (webkitdirectory) above.
    expect(await p.textContent('#data-summary')).toContain('data: 44 images in 15 classes');
    // The CLI's checkpoint as pretrained weights: every tensor matches (same width and labels).
    await p.setInputFiles('#opt-weights', join(dir, 'run', 'model.safetensors'));
    await p.fill('#opt-size', '32');
    await p.fill('#opt-batch', '12');
    await p.fill('#opt-epochs', '1');
    await p.selectOption('#opt-width', '8');
    await p.fill('#opt-max-steps', '3');
    await p.click('#train-start');
    await p.waitForSelector('#train[data-state="stopped"], #train[data-state="done"], #train[data-state="error"]', { timeout: 180_000 });
    const log = (await p.textContent('#train-log')) ?? '';
    expect(await p.getAttribute('#train', 'data-state'), log).not.toBe('error');
    expect(log).toMatch(/pretrained weights model\.safetensors: \d+ tensors loaded, 0 left at their initial values/);
    const page = await predictInPage();
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#ckpt-download')]);
    const path = join(dir, 'page-model.safetensors');
    await download.saveAs(path);
    const node = predictInCli(path);
    expectSame(page, node);
  }, 300_000);

  it('left no page errors', () => {
    expect(s.errors).toEqual([]);
  });
});
