// `brainmri predict`: top-k labels with probabilities for image files or folders; --json adds raw
// logits; --heatmap DIR writes a Grad-CAM overlay PNG per image (src/session/predict.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { createNodeGpu } from '../gpu/node.js';
import { NodeImageDecoder } from '../data/node.js';
import { IMAGE_EXTENSIONS } from '../data/scan.js';
import { formatTopK } from '../report/predictions.js';
import { modelFromCheckpoint } from '../session/checkpoint.js';
import { overlayHeatmap, predictImages, type PredictInput } from '../session/predict.js';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import type { CliIo } from './eval.js';
import { writeFileAtomic } from './runfolder.js';

export const predictSpec: CommandSpec = {
  name: 'predict',
  summary: 'Classify MRI images with a trained checkpoint (top-k labels, optional Grad-CAM heatmaps).',
  usage: 'brainmri predict --checkpoint FILE IMAGE_OR_DIR... [--json] [--heatmap DIR]     (npm run predict -- ...)',
  options: [
    { name: 'checkpoint', type: 'string', meta: 'FILE', help: 'a .safetensors written by train' },
    { name: 'top', type: 'int', meta: 'K', help: 'labels shown per image', default: 3 },
    { name: 'json', type: 'boolean', help: 'one JSON object per image: top-k, every probability and the raw logits' },
    { name: 'heatmap', type: 'string', meta: 'DIR', help: 'write <image>.gradcam.png (Grad-CAM of the top label over the input the model saw) into DIR' },
    { name: 'batch', type: 'int', meta: 'N', help: 'images per forward pass', default: 8 },
    { name: 'adapter', type: 'string', meta: 'NAME', help: 'auto, gpu, swiftshader, or part of an adapter name' },
  ],
  epilog: 'Folders are read one level deep (.jpg, .jpeg, .png). Heatmaps are at the checkpoint input size, enlarged to at least 224 px.',
};

function collect(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      for (const n of readdirSync(p).sort()) {
        if (!n.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(n).toLowerCase() as (typeof IMAGE_EXTENSIONS)[number])) out.push(join(p, n));
      }
    } else out.push(p);
  }
  return out;
}

export async function runPredict(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const args = parseArgs(predictSpec, argv);
  if (args.help) {
    io.stdout.write(formatHelp(predictSpec) + '\n');
    return 0;
  }
  const o = args.options;
  const ckpt = o.checkpoint as string | undefined;
  if (!ckpt) throw new UsageError('predict needs --checkpoint FILE');
  if (!existsSync(ckpt)) throw new UsageError(`--checkpoint ${ckpt}: no such file`);
  if (args.positional.length === 0) throw new UsageError('predict needs at least one image or folder');
  const files = collect(args.positional);
  if (files.length === 0) throw new UsageError('no images found (.jpg, .jpeg, .png)');
  const err = (l: string) => io.stderr.write(l + '\n');
  const gpu = io.gpu ?? (await createNodeGpu({ adapter: o.adapter as string | undefined, log: err }));
  try {
    const { model, meta } = await modelFromCheckpoint(gpu, new Uint8Array(readFileSync(ckpt)), ckpt);
    if (meta.channels === 'stack') {
      model.destroy();
      throw new UsageError(`${ckpt} was trained on T1/T1C+/T2 stacks; predict classifies single images. Use eval --stack FILE.`);
    }
    const heatDir = o.heatmap as string | undefined;
    let failed = 0;
    try {
      const inputs: PredictInput[] = files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(f)) }));
      const preds = await predictImages(gpu, model, meta, inputs, {
        decoder: new NodeImageDecoder(),
        topK: o.top as number,
        batch: o.batch as number,
        heatmap: !!heatDir,
        onError: (name, reason) => {
          failed++;
          err(`warning: cannot use ${name}: ${reason}`);
        },
      });
      if (heatDir) mkdirSync(heatDir, { recursive: true });
      for (const p of preds) {
        let heatmapPath: string | undefined;
        if (heatDir && p.heatmap) {
          const { size, cam, input } = p.heatmap;
          const scale = Math.max(1, Math.ceil(224 / size));
          const png = await sharp(overlayHeatmap(input, cam, size), { raw: { width: size, height: size, channels: 4 } })
            .resize(size * scale, size * scale, { kernel: 'nearest' })
            .png()
            .toBuffer();
          heatmapPath = join(heatDir, `${basename(p.name, extname(p.name))}.gradcam.png`);
          writeFileAtomic(heatmapPath, png);
        }
        if (o.json) io.stdout.write(JSON.stringify({ file: p.name, top: p.top.map((t) => ({ label: t.name, index: t.label, probability: t.probability })), probabilities: Object.fromEntries(meta.labels.map((l, i) => [l, p.probabilities[i]])), logits: p.logits, heatmap: heatmapPath }) + '\n');
      }
      if (!o.json) io.stdout.write(formatTopK(preds.map((p) => ({ file: p.name, probabilities: p.probabilities })), meta.labels, o.top as number) + '\n');
      if (heatDir && !o.json) err(`Grad-CAM overlays written to ${heatDir}`);
    } finally {
      model.destroy();
    }
    return failed > 0 ? 1 : 0;
  } finally {
    if (!io.gpu) gpu.destroy();
  }
}
