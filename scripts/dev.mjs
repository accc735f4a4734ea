// Runs TypeScript sources directly: `node --import ./scripts/dev.mjs some/file.ts`.
import { register } from 'node:module';
import 'tsx/esm';
register('./wgsl-hooks.mjs', import.meta.url);
