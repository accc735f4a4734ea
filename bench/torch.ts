// Runs bench/torch_step.py (the same ResNet18 step in PyTorch) when a python3 with torch exists.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepKind } from './steps.js';

export interface TorchResult {
  kind: 'torch';
  name: string;
  available: boolean;
  note?: string;
  python?: string;
  torch?: string;
  device?: string;
  threads?: number;
  res: number;
  batch: number;
  median_ms: number | null;
  first_ms?: number;
  all_ms?: number[];
  img_s?: number;
  loss?: number;
  peak_mem_bytes?: number;
  /** The engine's median step time divided by PyTorch's (above 1: the engine is slower). */
  engine_over_torch?: number;
}

export interface TorchOptions {
  res: number;
  batch: number;
  warmup: number;
  steps: number;
  /** Ask for CUDA (on a GPU machine); CPU otherwise. */
  cuda: boolean;
  /** CPU threads for torch (0: its default). */
  threads?: number;
}

/** Where torch_step.py is: next to the source, or in bench/ beside dist/ for the bundle. */
export function torchScriptPath(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, 'torch_step.py'), join(here, '..', 'bench', 'torch_step.py')]) if (existsSync(p)) return p;
  return null;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out, err: err + e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** The first python that imports torch: $BRAINMRI_PYTHON, python3 on PATH, then /usr/bin/python3. */
export async function findTorchPython(): Promise<{ python: string; version: string } | null> {
  const candidates = [process.env.BRAINMRI_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of [...new Set(candidates)]) {
    const r = await run(python, ['-c', 'import torch; print(torch.__version__)'], 60_000);
    if (r.code === 0) return { python, version: r.out.trim() };
  }
  return null;
}

export async function runTorchStep(kind: StepKind, opts: TorchOptions): Promise<TorchResult> {
  const base: TorchResult = { kind: 'torch', name: `torch.resnet18.${kind}`, available: false, res: opts.res, batch: opts.batch, median_ms: null };
  const script = torchScriptPath();
  if (!script) return { ...base, note: 'bench/torch_step.py not found next to the bench' };
  const found = await findTorchPython();
  if (!found) return { ...base, note: 'no python3 with torch found (set BRAINMRI_PYTHON to one)' };
  const args = [
    script,
    '--mode', kind,
    '--res', String(opts.res),
    '--batch', String(opts.batch),
    '--warmup', String(Math.max(1, opts.warmup)),
    '--steps', String(opts.steps),
    '--device', opts.cuda ? 'auto' : 'cpu',
    '--threads', String(opts.threads ?? 0),
  ];
  const r = await run(found.python, args, 20 * 60_000);
  const last = r.out.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) {
    return { ...base, python: found.python, torch: found.version, note: `torch_step.py failed (exit ${r.code}): ${r.err.trim().split('\n').slice(-3).join(' | ')}` };
  }
  const j = JSON.parse(last) as Record<string, unknown>;
  const num = (k: string): number | undefined => (typeof j[k] === 'number' ? (j[k] as number) : undefined);
  return {
    ...base,
    available: true,
    python: found.python,
    torch: String(j.torch),
    device: String(j.device),
    threads: num('threads'),
    median_ms: num('median_ms') ?? null,
    first_ms: num('first_ms'),
    all_ms: Array.isArray(j.all_ms) ? (j.all_ms as number[]) : undefined,
    img_s: num('img_s'),
    loss: num('loss'),
    peak_mem_bytes: num('peak_mem_bytes'),
  };
}
