// `npm run bench` (node dist/bench.js): the kernel lab at ResNet18's layer shapes and whole
// training/inference steps on this machine's WebGPU adapter; a table, and a JSON file per adapter
// under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from '../src/cli/args.js';
import { GpuError } from '../src/gpu/errors.js';
import { createNodeGpu } from '../src/gpu/node.js';
import { formatReport, resultFileName } from './report.js';
import { runBench, type BenchOptions, type CaseGroup } from './run.js';
import { CONV2D_VARIANTS } from '../src/kernels/conv2d.js';

const GROUPS: readonly CaseGroup[] = ['kernels', 'train', 'infer'];

const SPEC: CommandSpec = {
  name: 'bench',
  summary: 'Benchmark the engine: per-kernel lab at ResNet18 layer shapes, whole training and inference steps.',
  usage: 'node dist/bench.js [options]      (npm run bench -- [options])',
  options: [
    { name: 'case', type: 'string', help: 'what to run: kernels, train, infer, or all (comma list allowed)', default: 'all', meta: 'kernels|train|infer|all' },
    { name: 'res', type: 'int', help: 'input image size (default: 224 on a GPU, 64 on SwiftShader, 32 with --quick there)', meta: 'N' },
    { name: 'batch', type: 'int', help: 'batch size (default: 32 on a GPU, 8 on SwiftShader, 2 with --quick there)', meta: 'N' },
    { name: 'repeats', type: 'int', help: 'timed runs per kernel case, the median is reported (default 5; 3 with --quick)', meta: 'N' },
    { name: 'warmup', type: 'int', help: 'untimed runs before timing (a kernel case\'s validation run counts as one; a step\'s first step is one)', default: 1, meta: 'N' },
    { name: 'steps', type: 'int', help: 'timed whole steps (default 5; 2 with --quick)', meta: 'N' },
    { name: 'serial', type: 'boolean', help: 'time each step alone (record, submit, wait, read back) instead of as the trainer runs them, the next step recorded while one runs' },
    { name: 'eager-optimizer', type: 'boolean', help: 'Adadelta sweeps every element every step, not deferring the decay of known-zero gradients (the same floats; for comparison)' },
    { name: 'quick', type: 'boolean', help: 'small sizes, few repeats, no per-kernel profile of the steps (within 5 minutes on SwiftShader, 2 cores)' },
    { name: 'json', type: 'boolean', help: 'print one JSON document on stdout (the table goes to stderr)' },
    { name: 'vs-torch', type: 'boolean', help: 'also run the same ResNet18 step in PyTorch (python3 with torch) and print the ratio' },
    { name: 'torch-threads', type: 'int', help: 'CPU threads for --vs-torch (default: all cores; 2-thread torch suffers badly on a shared machine)', meta: 'N' },
    { name: 'filter', type: 'list', help: 'only kernel cases whose name contains one of these texts (e.g. conv2d.forward,layer4)', meta: 'TEXT,..' },
    { name: 'width', type: 'int', help: 'layer1 channels of the stepped model; 64 is ResNet18, narrower keeps its topology (smoke runs)', default: 64, meta: 'N' },
    { name: 'trace', type: 'boolean', help: 'print every dispatch of the profiled step in order (kernel, ms) on stderr, to find the layer behind a kernel' },
    { name: 'all-variants', type: 'boolean', help: 'time conv2d with every GEMM engine (registers, tiled, tiled128), not only the adapter default' },
    { name: 'conv-variant', type: 'string', help: 'conv2d GEMM engine for the whole run instead of the adapter default (registers on SwiftShader, tiled elsewhere)', choices: [...CONV2D_VARIANTS], meta: 'NAME' },
    { name: 'timing', type: 'string', help: 'kernel timing: GPU timestamps when the adapter has them (auto), or synchronised wall time', default: 'auto', choices: ['auto', 'gpu', 'wall'] },
    { name: 'ceilings', type: 'boolean', help: 'measure copy bandwidth and matmul GFLOP/s for the % columns (--no-ceilings skips)', default: true },
    { name: 'validate-macs', type: 'number', help: 'reference cost above which a case is validated at batch 1', default: 3e8, meta: 'N' },
    { name: 'results-dir', type: 'string', help: 'where the JSON result file goes', default: 'bench/results', meta: 'DIR' },
    { name: 'save', type: 'boolean', help: 'write the JSON result file (--no-save skips)', default: true },
    { name: 'adapter', type: 'string', help: 'WebGPU adapter: auto, gpu, swiftshader, or part of its name (also BRAINMRI_ADAPTER)', meta: 'NAME' },
  ],
  epilog: [
    'Examples:',
    '  npm run build && node dist/bench.js --quick',
    '  node dist/bench.js --case kernels --filter conv2d --res 224 --batch 32',
    '  node dist/bench.js --case train --vs-torch --json > bench.json',
    'Kernel cases are validated once against their float64 reference before they are timed.',
  ].join('\n'),
};

function parseGroups(text: string): CaseGroup[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.includes('all')) return [...GROUPS];
  for (const p of parts) if (!GROUPS.includes(p as CaseGroup)) throw new UsageError(`--case must be kernels, train, infer or all; got "${p}"`);
  if (parts.length === 0) throw new UsageError('--case needs a value');
  return GROUPS.filter((g) => parts.includes(g));
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(SPEC, argv);
  if (parsed.help) {
    console.log(formatHelp(SPEC));
    return 0;
  }
  if (parsed.positional.length > 0) throw new UsageError(`unexpected argument "${parsed.positional[0]}"; see --help`);
  const a = parsed.options;
  const groups = parseGroups(String(a.case));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const convVariant = a.convVariant as string | undefined;
  const gpu = await createNodeGpu({ adapter: a.adapter as string | undefined, log, conv2dVariant: convVariant });
  try {
    const quick = a.quick === true;
    const swift = gpu.adapter.isSwiftShader;
    const positive = (name: string, v: unknown, fallback: number): number => {
      const n = v === undefined ? fallback : Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number (got ${v})`);
      return n;
    };
    const opts: BenchOptions = {
      groups,
      res: positive('res', a.res, swift ? (quick ? 32 : 64) : 224),
      batch: positive('batch', a.batch, swift ? (quick ? 2 : 8) : quick ? 8 : 32),
      repeats: positive('repeats', a.repeats, quick ? 3 : 5),
      warmup: Math.max(0, Number(a.warmup)),
      steps: positive('steps', a.steps, quick ? 2 : 5),
      quick,
      timing: a.timing as BenchOptions['timing'],
      filter: a.filter as string[] | undefined,
      width: positive('width', a.width, 64),
      ceilings: a.ceilings !== false,
      allVariants: a.allVariants === true,
      convVariant,
      trace: a.trace === true,
      serial: a.serial === true,
      eagerOptimizer: a.eagerOptimizer === true,
      vsTorch: a.vsTorch === true,
      torchThreads: a.torchThreads === undefined ? undefined : positive('torch-threads', a.torchThreads, 1),
      validateMacs: Number(a.validateMacs),
      log,
    };
    if (opts.res < 32) throw new UsageError(`--res ${opts.res} is too small for ResNet18's five stride-2 stages; use 32 or more`);
    const report = await runBench(gpu, opts);
    const text = formatReport(report);
    if (a.json === true) {
      process.stderr.write(`${text}\n`);
      process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
    } else {
      console.log(text);
    }
    if (a.save !== false) {
      const dir = String(a.resultsDir);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, resultFileName(report));
      writeFileSync(file, `${JSON.stringify(report, null, 1)}\n`);
      log(`results written to ${file}`);
    }
    return report.ok ? 0 : 1;
  } finally {
    gpu.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof RangeError) {
      console.error(`bench: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof GpuError) {
      console.error(`bench: ${err.message}`);
      process.exitCode = 3;
    } else {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  },
);
