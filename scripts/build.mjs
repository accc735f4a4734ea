// Bundles the Node CLI, the benchmark and the browser page with esbuild. `.wgsl` files are
// imported as text. Runs on `npm install` (prepare) and `npm run build`.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

const common = {
  bundle: true,
  sourcemap: true,
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
  target: 'es2022',
};

// Node: native and heavy packages stay external and load from node_modules.
const nodeExternal = ['webgpu', 'sharp', 'playwright-core', 'esbuild'];
const nodeEntries = [
  { in: 'src/cli/main.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'bench/bench.ts', out: 'dist/bench.js' },
];

const jobs = [];
for (const entry of nodeEntries) {
  if (!existsSync(entry.in)) continue;
  jobs.push(
    build({
      ...common,
      entryPoints: [entry.in],
      outfile: entry.out,
      platform: 'node',
      format: 'esm',
      external: nodeExternal,
      banner: entry.banner ? { js: entry.banner } : undefined,
    }),
  );
}

// The page shares library files that also hold Node-only writers (e.g. synth.ts writes JPEGs
// with sharp). The page never calls those; their imports resolve to a stub that throws if used.
const nodeOnlyStub = {
  name: 'node-only-stub',
  setup(b) {
    b.onResolve({ filter: /^(node:.*|sharp|webgpu)$/ }, (args) => ({ path: args.path, namespace: 'node-only' }));
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      loader: 'js',
      contents: `const fail = () => { throw new Error(${JSON.stringify(args.path)} + ' is not available in the browser'); };
module.exports = new Proxy(fail, { get: (_, key) => (key === '__esModule' ? false : fail) });`,
    }));
  },
};

if (existsSync('src/web/main.ts')) {
  mkdirSync('dist/web', { recursive: true });
  jobs.push(
    build({ ...common, entryPoints: ['src/web/main.ts'], outfile: 'dist/web/app.js', platform: 'browser', format: 'esm', plugins: [nodeOnlyStub] }).then(() => {
      for (const file of ['index.html', 'style.css']) {
        if (existsSync(`src/web/${file}`)) cpSync(`src/web/${file}`, `dist/web/${file}`);
      }
    }),
  );
}

await Promise.all(jobs);
