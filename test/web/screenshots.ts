// Makes the page screenshots in docs/images (not a test): a longer run than the end-to-end test
// so the curves and the report show something. Run:
//   node --import ./scripts/dev.mjs test/web/screenshots.ts [scale] [epochs]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPage, ROOT } from './harness.js';

const scale = process.argv[2] ?? '0.03';
const epochs = process.argv[3] ?? '6';
const out = join(ROOT, 'docs', 'images');
mkdirSync(out, { recursive: true });
const s = await openPage({ viewport: { width: 1280, height: 900 } });
try {
  const p = s.page;
  await p.waitForSelector('#adapter[data-state="ok"]', { timeout: 60_000 });
  await p.fill('#synth-scale', scale);
  await p.click('#synth-generate');
  await p.waitForFunction(() => document.querySelector('#data-summary')?.textContent?.includes('images in'), undefined, { timeout: 600_000 });
  await p.fill('#opt-size', '48');
  await p.fill('#opt-batch', '16');
  await p.fill('#opt-epochs', epochs);
  await p.selectOption('#opt-width', '16');
  await p.click('#train-start');
  await p.waitForSelector('#train[data-state="done"], #train[data-state="error"]', { timeout: 3_600_000 });
  console.log(await p.textContent('#train-log'));
  await p.click('#eval-run');
  await p.waitForSelector('#evaluate[data-state="done"]', { timeout: 600_000 });
  const file = await p.evaluate(async () => {
    const st = (globalThis as unknown as { brainmri: { source: { listing: { folder: string; entries: { name: string }[] }[]; read(p: string): Promise<Uint8Array> } } }).brainmri;
    const f = st.source.listing.find((l) => l.folder === 'Meningioma T1C+')!;
    return { name: f.entries[0]!.name, bytes: Array.from(await st.source.read(`${f.folder}/${f.entries[0]!.name}`)) };
  });
  await p.setInputFiles('#predict-input', { name: file.name, mimeType: 'image/jpeg', buffer: Buffer.from(file.bytes) });
  await p.waitForSelector('#predict[data-state="done"]', { timeout: 60_000 });
  await p.locator('#train').screenshot({ path: join(out, 'web-train.png') });
  await p.locator('#evaluate').screenshot({ path: join(out, 'web-evaluate.png') });
  await p.locator('#predict').screenshot({ path: join(out, 'web-predict.png') });
  console.log(s.errors.length ? s.errors : 'no page errors');
} finally {
  await s.close();
}
