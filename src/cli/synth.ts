// `brainmri synth`: writes the synthetic brain-MRI dataset (src/data/synth.ts) to a folder.
import { existsSync, readdirSync } from 'node:fs';
import { generateSynthetic } from '../data/synth.js';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { formatDuration } from './progress.js';

export const synthSpec: CommandSpec = {
  name: 'synth',
  summary: 'Generate the synthetic MRI dataset (44 folders, counts proportional to the real dataset).',
  usage: 'brainmri synth --out DIR [--scale X] [--seed N]     (npm run synth -- ...)',
  options: [
    { name: 'out', type: 'string', meta: 'DIR', help: 'folder to write (must be empty or absent)' },
    { name: 'scale', type: 'number', meta: 'X', help: 'fraction of the real per-folder counts (at least 1 image per folder)', default: 0.1 },
    { name: 'seed', type: 'int', meta: 'N', help: 'the same seed writes byte-identical files', default: 1 },
  ],
};

export async function runSynth(argv: string[], out: { write(s: string): unknown } = process.stdout): Promise<number> {
  const args = parseArgs(synthSpec, argv);
  if (args.help) {
    out.write(formatHelp(synthSpec) + '\n');
    return 0;
  }
  const dir = args.options.out as string | undefined;
  if (!dir) throw new UsageError('synth needs --out DIR');
  const scale = args.options.scale as number;
  if (!(scale > 0)) throw new UsageError(`--scale must be > 0, got ${scale}`);
  if (existsSync(dir) && readdirSync(dir).some((n) => !n.startsWith('.'))) throw new UsageError(`${dir} is not empty; choose a new folder`);
  const t0 = performance.now();
  let last = 0;
  const r = await generateSynthetic({
    out: dir,
    scale,
    seed: args.options.seed as number,
    onProgress: (done, total) => {
      if (performance.now() - last > 5000 || done === total) {
        last = performance.now();
        out.write(`  ${done}/${total} images\n`);
      }
    },
  });
  out.write(`Wrote ${r.files} images in ${Object.keys(r.counts).length} folders to ${dir} (${formatDuration((performance.now() - t0) / 1000)})\n`);
  return 0;
}
