// End to end in a real browser: Debian's Chromium, headless, WebGPU on SwiftShader, driven by
// playwright-core. Opens the built page, generates a small synthetic set, trains a few steps at
// a small size, evaluates (report table + confusion matrix), predicts one image, downloads the
// checkpoint and loads it back. Screenshots go to test-output/web/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPage, ROOT, type PageSession } from './harness.js';

const SHOTS = join(ROOT, 'test-output', 'web');

describe('web page (Chromium + SwiftShader)', () => {
  let s: PageSession;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await openPage();
  }, 120_000);
  afterAll(async () => s?.close());

  it('finds the WebGPU adapter and shows its name', async () => {
    await s.page.waitForSelector('#adapter[data-state="ok"], #adapter[data-state="error"]', { timeout: 60_000 });
    const text = await s.page.textContent('#adapter');
    expect(await s.page.getAttribute('#adapter', 'data-state'), text ?? '').toBe('ok');
    expect(text).toMatch(/swiftshader/i);
    expect(await s.page.isHidden('#gpu-error')).toBe(true);
  });

  it('generates the synthetic 44-folder set in the page and scans it with the 15-label scheme', async () => {
    await s.page.fill('#synth-scale', '0.001');
    await s.page.fill('#synth-seed', '3');
    await s.page.click('#synth-generate');
    await s.page.waitForFunction(() => document.querySelector('#data-summary')?.textContent?.includes('images in'), undefined, { timeout: 90_000 });
    const summary = (await s.page.textContent('#data-summary')) ?? '';
    // At least one image per folder: 44 files, 15 labels.
    expect(summary).toContain('44 images in 15 classes');
    expect(await s.page.locator('#data-preview img').count()).toBeGreaterThan(4);
    expect(await s.page.isEnabled('#train-start')).toBe(true);
  });

  it('trains at 32 px with live stats; Stop ends the run after the current step and Continue resumes it', async () => {
    const p = s.page;
    await p.fill('#opt-size', '32');
    await p.fill('#opt-batch', '12');
    await p.fill('#opt-epochs', '1');
    await p.selectOption('#opt-width', '16');
    await p.fill('#opt-max-steps', '0');
    await p.click('#train-start');
    // Stop as soon as the first step is reported.
    await p.waitForFunction(() => /^[1-9]\d* \//.test(document.getElementById('stat-step')?.textContent ?? ''), undefined, { timeout: 120_000 });
    expect(Number(await p.textContent('#stat-loss'))).toBeGreaterThan(0);
    expect(await p.textContent('#stat-eta')).not.toBe('–');
    await p.click('#train-stop');
    await p.waitForSelector('#train[data-state="stopped"], #train[data-state="done"], #train[data-state="error"]', { timeout: 120_000 });
    expect(await p.getAttribute('#train', 'data-state'), (await p.textContent('#train-log')) ?? '').toBe('stopped');
    expect(await p.isEnabled('#train-continue')).toBe(true);
    await p.click('#train-continue');
    await p.waitForSelector('#train[data-state="done"], #train[data-state="error"]', { timeout: 120_000 });
    const log = (await p.textContent('#train-log')) ?? '';
    expect(await p.getAttribute('#train', 'data-state'), log).toBe('done');
    expect(log).toMatch(/stopped (at|after) epoch 1/);
    expect(log).toMatch(/epoch 1\/1: train loss [0-9.]+, train accuracy [0-9.]+%, test loss [0-9.]+, accuracy/);
    expect(await p.textContent('#stat-step')).toMatch(/^3 \/ 3$/);
    // img/s and the loss chart are live.
    expect(Number(await p.textContent('#stat-speed'))).toBeGreaterThan(0);
    expect(await p.locator('#chart-loss svg').count()).toBe(1);
    expect(await p.locator('#chart-acc svg').count()).toBe(1);
    // The training accuracy the step counts on the GPU is drawn next to the test accuracy.
    expect(await p.locator('#chart-acc').innerHTML()).toContain('train accuracy');
    await p.screenshot({ path: join(SHOTS, 'train.png'), fullPage: true });
  }, 240_000);

  it('evaluates: classification report table, confusion matrix, misclassified gallery', async () => {
    const p = s.page;
    expect(await p.isEnabled('#eval-run')).toBe(true);
    await p.click('#eval-run');
    await p.waitForSelector('#evaluate[data-state="done"]', { timeout: 120_000 });
    const rows = await p.locator('#report-table tbody tr').allTextContents();
    // 15 label rows + accuracy/micro, macro and weighted averages.
    expect(rows.length).toBe(18);
    expect(rows.some((r) => r.startsWith('Normal'))).toBe(true);
    expect(rows.at(-1)).toMatch(/^weighted avg/);
    const svg = p.locator('#eval-confusion svg');
    expect(await svg.count()).toBe(1);
    expect(await svg.textContent()).toContain('Meningioma');
    expect(await p.textContent('#eval-summary')).toMatch(/\d+ test images · accuracy [0-9.]+%/);
    expect(await p.locator('#eval-gallery h3').count()).toBe(1);
    // report.html: the same self-contained report the CLI writes, thumbnails inlined.
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#eval-download')]);
    expect(download.suggestedFilename()).toBe('report.html');
    await download.saveAs(join(SHOTS, 'report.html'));
    const html = readFileSync(join(SHOTS, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Meningioma');
    expect(html).toMatch(/data:image\/jpeg;base64,/);
    await p.locator('#evaluate').screenshot({ path: join(SHOTS, 'evaluate.png') });
  }, 180_000);

  it('predicts one image: top-k labels, the autocropped input and the Grad-CAM overlay', async () => {
    const p = s.page;
    // One of the generated files, handed to the file input as a user would.
    const file = await p.evaluate(async () => {
      const st = (globalThis as unknown as { brainmri: { source: { listing: { folder: string; entries: { name: string }[] }[]; read(p: string): Promise<Uint8Array> } } }).brainmri;
      const f = st.source.listing.find((l) => l.folder === 'Meningioma T1C+')!;
      const path = `${f.folder}/${f.entries[0]!.name}`;
      return { name: f.entries[0]!.name, bytes: Array.from(await st.source.read(path)) };
    });
    await p.fill('#predict-k', '3');
    await p.setInputFiles('#predict-input', { name: file.name, mimeType: 'image/jpeg', buffer: Buffer.from(file.bytes) });
    await p.waitForSelector('#predict[data-state="done"]', { timeout: 60_000 });
    const top = await p.locator('#predict-topk li').allTextContents();
    expect(top.length).toBe(3);
    for (const line of top) expect(line).toMatch(/^\S.* [0-9.]+%$/);
    const crop = await p.evaluate(() => {
      const c = document.getElementById('predict-crop') as HTMLCanvasElement;
      const o = document.getElementById('predict-original') as HTMLCanvasElement;
      return { cw: c.width, ch: c.height, ow: o.width, oh: o.height };
    });
    // Autocrop cut the black frame: the crop is smaller than the input.
    expect(crop.cw * crop.ch).toBeLessThan(crop.ow * crop.oh);
    expect(crop.cw).toBeGreaterThan(0);
    // Grad-CAM of the top label, drawn over the crop.
    expect(await p.isVisible('#predict-cam')).toBe(true);
    expect(await p.textContent('#predict-cam-caption')).toContain(`Grad-CAM for ${top[0]!.split(' ')[0]}`);
    await p.locator('#predict').screenshot({ path: join(SHOTS, 'predict.png') });
  }, 120_000);

  it('downloads the checkpoint (safetensors) and loads it back', async () => {
    const p = s.page;
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#ckpt-download')]);
    expect(download.suggestedFilename()).toBe('model.safetensors');
    const path = join(SHOTS, 'model.safetensors');
    await download.saveAs(path);
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { shape?: number[] }> & { __metadata__: Record<string, string> };
    expect(header.__metadata__.format).toBe('brainmri-resnet18');
    expect(header['fc.weight']!.shape).toEqual([15, 128]);
    await p.setInputFiles('#ckpt-load', path);
    await p.waitForSelector('#checkpoint[data-state="loaded"]', { timeout: 60_000 });
    expect(await p.textContent('#ckpt-status')).toMatch(/Loaded model\.safetensors: ResNet18 width 16, 15 labels/);
    await p.screenshot({ path: join(SHOTS, 'page.png'), fullPage: true });
  }, 120_000);

  it('loaded without page errors', () => {
    expect(s.errors).toEqual([]);
  });
});

describe('web page without WebGPU', () => {
  it('says clearly that WebGPU is missing and keeps the controls off (page served from a sub-path)', async () => {
    const s = await openPage({ noWebGpu: true, subPath: true });
    try {
      expect(s.page.url()).toMatch(/\/web\/$/);
      await s.page.waitForSelector('#adapter[data-state="error"]', { timeout: 30_000 });
      const message = (await s.page.textContent('#gpu-error')) ?? '';
      expect(await s.page.isVisible('#gpu-error')).toBe(true);
      expect(message).toMatch(/WebGPU is not available/);
      expect(message).toMatch(/navigator\.gpu is missing/);
      expect(await s.page.isDisabled('#train-start')).toBe(true);
      // The stylesheet loaded by its relative URL too.
      expect(await s.page.evaluate(() => getComputedStyle(document.querySelector('header')!).backgroundColor)).toBe('rgb(22, 32, 46)');
      expect(s.errors).toEqual([]);
      await s.page.screenshot({ path: join(SHOTS, 'no-webgpu.png') });
    } finally {
      await s.close();
    }
  }, 60_000);
});
