// `brainmri eval`: a checkpoint on a dataset (or a split's validation list): the classification
// report on stdout in scikit-learn's layout, and report.html, confusion.svg, evaluation.json and
// predictions.csv in --out.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeGpu } from '../gpu/node.js';
import type { Gpu } from '../gpu/runtime.js';
import { scanDataRoot } from '../data/node.js';
import { parseSplitManifest } from '../data/split.js';
import { loadWeights } from '../nn/weights/load.js';
import { predictionsCsv } from '../report/predictions.js';
import { writeEvaluation } from '../report/write-node.js';
import { parseCheckpointMeta } from '../session/checkpoint.js';
import { evaluateCheckpoint } from '../session/evaluate-run.js';
import { parseStackManifest, stackDataset, stackSource } from '../session/stack.js';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { writeFileAtomic } from './runfolder.js';
import { NodeRunStore, nodeImageSource } from './train.js';

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Evaluate a checkpoint on a dataset: classification report, confusion matrix, report.html.',
  usage: 'brainmri eval --checkpoint FILE --data DIR [--split FILE] --out DIR     (npm run eval -- ...)',
  options: [
    { name: 'checkpoint', type: 'string', meta: 'FILE', help: 'a .safetensors written by train (model.safetensors or best.safetensors)' },
    { name: 'data', type: 'string', meta: 'DIR', help: 'dataset root (folder per class)' },
    { name: 'split', type: 'string', meta: 'FILE', help: "a run's split.json: evaluate its validation list only (default: every image)" },
    { name: 'out', type: 'string', meta: 'DIR', help: 'where report.html, confusion.svg, evaluation.json, predictions.csv go (default: print only)' },
    { name: 'stack', type: 'string', meta: 'FILE', help: 'for a checkpoint trained with --stack: the T1/T1C+/T2 manifest (relative to --data)' },
    { name: 'batch', type: 'int', meta: 'N', help: 'images per forward pass', default: 16 },
    { name: 'json', type: 'boolean', help: 'print the evaluation summary as JSON instead of text' },
    { name: 'adapter', type: 'string', meta: 'NAME', help: 'auto, gpu, swiftshader, or part of an adapter name' },
  ],
};

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  gpu?: Gpu;
}

export async function runEval(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const args = parseArgs(evalSpec, argv);
  if (args.help) {
    io.stdout.write(formatHelp(evalSpec) + '\n');
    return 0;
  }
  const o = args.options;
  const ckpt = o.checkpoint as string | undefined;
  const data = o.data as string | undefined;
  if (!ckpt) throw new UsageError('eval needs --checkpoint FILE');
  if (!data) throw new UsageError('eval needs --data DIR');
  if (!existsSync(ckpt)) throw new UsageError(`--checkpoint ${ckpt}: no such file`);
  if (!existsSync(data)) throw new UsageError(`--data ${data}: no such folder`);
  const json = o.json === true;
  const err = (l: string) => io.stderr.write(l + '\n');
  const bytes = new Uint8Array(readFileSync(ckpt));
  // The label scheme to scan with comes from the checkpoint.
  const meta = parseCheckpointMeta((await loadWeights(bytes)).metadata, ckpt);
  const scheme = meta.labelScheme === 'folders' ? 'folders' : meta.labelScheme;
  const stackFile = o.stack as string | undefined;
  if (meta.channels === 'stack' && !stackFile) throw new UsageError(`${ckpt} was trained on T1/T1C+/T2 stacks: pass --stack FILE`);
  if (meta.channels !== 'stack' && stackFile) throw new UsageError(`${ckpt} takes single images; --stack does not apply`);
  const dataset = stackFile ? stackDataset(parseStackManifest(readFileSync(join(data, stackFile), 'utf8'))) : (await scanDataRoot(data, scheme)).dataset;
  const source = stackFile ? stackSource(nodeImageSource(data)) : nodeImageSource(data);
  const split = o.split ? parseSplitManifest(readFileSync(o.split as string, 'utf8')) : undefined;
  const gpu = io.gpu ?? (await createNodeGpu({ adapter: o.adapter as string | undefined, log: err }));
  try {
    const out = o.out as string | undefined;
    if (out) mkdirSync(out, { recursive: true });
    const store = out ? new NodeRunStore(out) : undefined;
    const r = await evaluateCheckpoint(gpu, {
      checkpoint: { name: ckpt, bytes },
      dataset,
      source,
      split,
      batch: o.batch as number,
      adapter: gpu.adapter.label,
      store,
      onError: (p, reason) => err(`warning: cannot use ${p}: ${reason}`),
    });
    if (r.missingFromSplit.length) err(`warning: ${r.missingFromSplit.length} files listed in ${o.split} are not in ${data}`);
    let summaryJson: unknown = { accuracy: r.metrics.accuracy, macroF1: r.metrics.macroF1, images: r.metrics.images };
    if (out) {
      const { files, summary } = writeEvaluation(out, r.report);
      summaryJson = summary;
      const K = meta.numClasses;
      writeFileAtomic(
        join(out, 'predictions.csv'),
        predictionsCsv(
          r.items.map((it, i) => ({ file: it.path, sequence: it.sequence ?? undefined, trueLabel: it.label, predictedLabel: r.metrics.predicted[i]!, probabilities: r.metrics.probabilities.subarray(i * K, (i + 1) * K) })),
          meta.labels,
        ),
      );
      if (!json) err(`wrote ${files.report}, ${files.confusion}, ${files.summary}, ${join(out, 'predictions.csv')}`);
    }
    if (json) io.stdout.write(JSON.stringify(summaryJson) + '\n');
    else {
      io.stdout.write(`${r.metrics.images} images (${r.failed.length} unreadable), checkpoint ${ckpt} (${meta.inputSize} px, epoch ${meta.epoch})\n\n`);
      io.stdout.write(r.classificationReport + (r.classificationReport.endsWith('\n') ? '' : '\n'));
    }
    return 0;
  } finally {
    if (!io.gpu) gpu.destroy();
  }
}
