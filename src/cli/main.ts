// brainmri: the command-line entry. Each command is a thin shell over the library.
import { GpuError } from '../gpu/errors.js';
import { UsageError } from './args.js';
import { commands } from './commands.js';

const USAGE = `brainmri: train and evaluate a ResNet18 brain-MRI classifier on WebGPU (Node or browser).

Usage: brainmri <command> [options]     (npm run <command> -- [options])

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}

Run "brainmri <command> --help" for a command's options.
Environment: BRAINMRI_ADAPTER=auto|gpu|swiftshader|<name part> chooses the WebGPU adapter.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`brainmri: unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`brainmri: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof GpuError) {
      console.error(`brainmri: ${err.message}`);
      process.exitCode = 3;
    } else {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  },
);
