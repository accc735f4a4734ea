// `brainmri web`: serves the browser page (dist/web, built by `npm run build`) on localhost.
// Static files only; the page reads data and writes runs through the browser's own file APIs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';

export const webSpec: CommandSpec = {
  name: 'web',
  summary: 'Serve the browser page (train and evaluate in the browser with WebGPU) on localhost.',
  usage: 'brainmri web [--port N] [--root DIR]     (npm run web -- ...)',
  options: [
    { name: 'port', type: 'int', meta: 'N', help: 'TCP port (0: any free one)', default: 8080 },
    { name: 'host', type: 'string', meta: 'HOST', help: 'interface to listen on', default: '127.0.0.1' },
    { name: 'root', type: 'string', meta: 'DIR', help: 'folder to serve (default: the built page, dist/web)' },
  ],
  epilog: 'Open the printed address in a browser with WebGPU (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu).',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

export function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'web'); // dist/cli.js -> dist/web
  return existsSync(bundled) ? bundled : resolve('dist', 'web');
}

/** A static file server confined to `root` (no path escapes, no directory listings). */
export function startWebServer(root: string, port: number, host: string): Promise<Server> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const path = normalize(join(base, rel));
    if (path !== base && !path.startsWith(base + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (!existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}`);
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path).toLowerCase()] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(path));
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

export async function runWeb(argv: string[], out: { write(s: string): unknown } = process.stdout): Promise<number> {
  const args = parseArgs(webSpec, argv);
  if (args.help) {
    out.write(formatHelp(webSpec) + '\n');
    return 0;
  }
  const root = (args.options.root as string | undefined) ?? defaultWebRoot();
  if (!existsSync(join(root, 'index.html'))) throw new UsageError(`${root} has no index.html: run \`npm run build\` first (or pass --root)`);
  const server = await startWebServer(root, args.options.port as number, args.options.host as string);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : args.options.port;
  out.write(`Serving ${root} at http://${args.options.host}:${port}/  (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    const stop = () => server.close(() => done());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
