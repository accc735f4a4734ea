import { defineConfig, type Plugin } from 'vitest/config';
import { readFileSync } from 'node:fs';

// Imports `*.wgsl` as a string, exactly as esbuild's "text" loader does for the bundles.
function wgslText(): Plugin {
  return {
    name: 'wgsl-text',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('.wgsl')) return null;
      return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    },
  };
}

export default defineConfig({
  plugins: [wgslText()],
  test: {
    include: ['test/**/*.test.ts'],
    globals: true,
    // One device per test file; forks isolate Dawn's native state between files.
    pool: 'forks',
    // SwiftShader already uses every core; files in parallel only fight over them.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
