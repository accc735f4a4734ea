// The command table. Each entry parses its own options (src/cli/args.ts) and calls the library.
import { createNodeGpu } from '../gpu/node.js';
import { formatHelp, parseArgs, type CommandSpec } from './args.js';
import { evalSpec, runEval } from './eval.js';
import { predictSpec, runPredict } from './predict.js';
import { runSynth, synthSpec } from './synth.js';
import { runTrain, trainSpec } from './train.js';
import { runWeb, webSpec } from './web.js';

export interface Command {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

const adaptersSpec: CommandSpec = {
  name: 'adapters',
  summary: 'Show the WebGPU adapter this machine gives, its limits and features.',
  usage: 'brainmri adapters [--adapter NAME]',
  options: [{ name: 'adapter', type: 'string', meta: 'NAME', help: 'auto, gpu, swiftshader, or part of an adapter name' }],
};

const adapters: Command = {
  name: 'adapters',
  summary: adaptersSpec.summary,
  async run(argv) {
    const args = parseArgs(adaptersSpec, argv);
    if (args.help) {
      console.log(formatHelp(adaptersSpec));
      return 0;
    }
    const gpu = await createNodeGpu({ adapter: args.options.adapter as string | undefined, log: console.log });
    console.log(`  features: ${[...gpu.features].sort().join(', ')}`);
    for (const [k, v] of Object.entries(gpu.limits)) console.log(`  ${k}: ${v}`);
    gpu.destroy();
    return 0;
  },
};

const train: Command = { name: 'train', summary: trainSpec.summary, run: (argv) => runTrain(argv) };
const evaluate: Command = { name: 'eval', summary: evalSpec.summary, run: (argv) => runEval(argv) };
const predict: Command = { name: 'predict', summary: predictSpec.summary, run: (argv) => runPredict(argv) };
const synth: Command = { name: 'synth', summary: synthSpec.summary, run: (argv) => runSynth(argv) };
const web: Command = { name: 'web', summary: webSpec.summary, run: (argv) => runWeb(argv) };

export const commands: Command[] = [train, evaluate, predict, synth, web, adapters];
