// Node module hooks: `import source from './x.wgsl'` gives the file's text, as esbuild's text
// loader does in the bundles. Used by dev scripts run from source (`node --import ./scripts/dev.mjs`).
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.wgsl')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
