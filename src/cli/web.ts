// `brainmri web`: builds the page (esbuild, through scripts/build.mjs when the source tree is
// there) and serves dist/web on localhost with node:http. Everything is served from disk: the
// page loads nothing from the network, and the same files work from any static host.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHelp, parseArgs, type CommandSpec } from './args.js';

export const webSpec: CommandSpec = {
  name: 'web',
  summary: 'Build the browser page and serve it on localhost (train, evaluate, predict in the browser).',
  usage: 'brainmri web [--port N] [--host ADDR] [--dir DIR] [--no-build]',
  options: [
    { name: 'port', type: 'int', meta: 'N', default: 8080, help: 'port to listen on (0: any free port)' },
    { name: 'host', type: 'string', meta: 'ADDR', default: '127.0.0.1', help: 'address to bind (WebGPU needs localhost or https)' },
    { name: 'dir', type: 'string', meta: 'DIR', help: 'folder to serve (default: dist/web next to this CLI)' },
    { name: 'no-build', type: 'boolean', help: 'serve the files as they are, without rebuilding the page first' },
  ],
  epilog: 'The built page (dist/web) is plain static files: copy it to any static host to use it there.',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

/** The package root: the folder holding package.json above this bundle (dist/) or source file (src/cli/). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(from, '..');
}

/** Runs scripts/build.mjs when the sources are present (a checkout); returns false when there is nothing to build. */
export function buildPage(root: string, log: (line: string) => void = console.log): boolean {
  const script = join(root, 'scripts', 'build.mjs');
  if (!existsSync(script) || !existsSync(join(root, 'src', 'web', 'main.ts'))) return false;
  log('building the page (esbuild)...');
  const result = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the page build failed (node scripts/build.mjs exited with ${result.status ?? result.signal})`);
  return true;
}

export interface StaticServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the files under `dir` (GET/HEAD only, no listing, no path outside `dir`). */
export async function serveStatic(dir: string, options: { host?: string; port?: number } = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(400, 'bad path');
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden');
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': body.byteLength,
          'cache-control': 'no-cache',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => send(404, `not found: ${path}`),
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export async function runWeb(argv: string[], out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const args = parseArgs(webSpec, argv);
  if (args.help) {
    out.write(formatHelp(webSpec) + '\n');
    return 0;
  }
  const root = packageRoot();
  if (!args.options.noBuild) buildPage(root);
  const dir = resolve((args.options.dir as string | undefined) ?? join(root, 'dist', 'web'));
  if (!existsSync(join(dir, 'index.html')) || !statSync(dir).isDirectory()) {
    console.error(`brainmri: no built page in ${dir} (index.html missing). Run \`npm run build\` first.`);
    return 1;
  }
  const served = await serveStatic(dir, { host: args.options.host as string, port: args.options.port as number });
  out.write(`Serving ${dir}\n`);
  out.write(`Open ${served.url} in a browser with WebGPU (Ctrl-C stops the server).\n`);
  await new Promise<void>((ok) => {
    process.once('SIGINT', () => ok());
    process.once('SIGTERM', () => ok());
  });
  await served.close();
  return 0;
}

