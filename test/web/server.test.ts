// The `web` command's static server: serves files with their types, index.html for '/',
// 404 for missing files, nothing outside the served folder.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { serveStatic, type StaticServer } from '../../src/cli/web.js';

function get(url: string, rawPath?: string): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path: rawPath ?? u.pathname, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('serveStatic', () => {
  let server: StaticServer;
  let root: string;
  beforeAll(async () => {
    const base = mkdtempSync(join(tmpdir(), 'brainmri-serve-'));
    root = join(base, 'web');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><p>hello</p>');
    writeFileSync(join(root, 'app.js'), 'export {};');
    writeFileSync(join(root, 'sub', 'a b.css'), 'p{}');
    writeFileSync(join(base, 'secret.txt'), 'outside');
    server = await serveStatic(root, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => server?.close());

  it('prints a localhost URL with the port it got', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('serves index.html for / and files with their MIME types', async () => {
    const index = await get(server.url);
    expect(index.status).toBe(200);
    expect(index.type).toMatch(/^text\/html/);
    expect(index.body).toContain('hello');
    const js = await get(server.url + 'app.js');
    expect(js.type).toMatch(/^text\/javascript/);
    const css = await get(server.url + 'sub/a%20b.css');
    expect(css.status).toBe(200);
    expect(css.type).toMatch(/^text\/css/);
  });

  it('answers 404 for a missing file and never serves outside its folder', async () => {
    expect((await get(server.url + 'nope.js')).status).toBe(404);
    const escaped = await get(server.url, '/../secret.txt');
    expect(escaped.body).not.toContain('outside');
    const encoded = await get(server.url, '/%2e%2e/secret.txt');
    expect(encoded.body).not.toContain('outside');
    expect([403, 404]).toContain(encoded.status);
  });
});
