// Browser test harness: builds dist/web when it is missing or older than the sources, serves it
// from 127.0.0.1 on a random port (the CLI's own static server), and drives Debian's Chromium
// headless on SwiftShader through playwright-core. No browser is ever downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serveStatic, type StaticServer } from '../../src/cli/web.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.BRAINMRI_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags from PLATFORM.md: WebGPU on SwiftShader, no network chatter. playwright-core gives
 * each launch its own temporary profile, which stands in for --user-data-dir.
 */
export function chromiumArgs(): string[] {
  return [
    '--headless=new',
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--enable-features=Vulkan',
    '--use-vulkan=swiftshader',
    '--use-webgpu-adapter=swiftshader',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the page unless dist/web/app.js is newer than every file under src/ and shaders/. */
export function ensurePageBuilt(): void {
  const app = join(ROOT, 'dist', 'web', 'app.js');
  const html = join(ROOT, 'dist', 'web', 'index.html');
  const sources = Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'shaders')), statSync(join(ROOT, 'scripts', 'build.mjs')).mtimeMs);
  if (existsSync(app) && existsSync(html) && statSync(app).mtimeMs >= sources && statSync(html).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`page build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface PageSession {
  server: StaticServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** Hide navigator.gpu before the page runs (the page's "no WebGPU" path). */
  noWebGpu?: boolean;
  /** Serve dist/ and open the page at /web/ (a static host where the page is not at the root). */
  subPath?: boolean;
}

export async function openPage(options: OpenOptions = {}): Promise<PageSession> {
  ensurePageBuilt();
  const server = await serveStatic(join(ROOT, 'dist', options.subPath ? '' : 'web'), { host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: chromiumArgs(),
    // The flags above already say headless=new; keep playwright from adding its own.
    headless: false,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? mkdtempSync(join(tmpdir(), 'brainmri-xdg-')) },
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 }, acceptDownloads: true });
  if (options.noWebGpu) {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    });
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(server.url + (options.subPath ? 'web/' : ''));
  return {
    server,
    browser,
    context,
    page,
    errors,
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}
