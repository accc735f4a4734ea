// The run folder: where `train` leaves everything about one run, written so that a crash or a
// Ctrl-C never leaves a half-written file behind (temp file + fsync + rename).
//
// runs/<timestamp>/
//   config.json        the resolved options of the run (written once at start)
//   split.json         the split manifest (format and helpers: src/data/split.ts)
//   metrics.jsonl      one JSON object per line per event (epoch results, evaluations)
//   last.safetensors   weights after the latest finished epoch (resume point)
//   best.safetensors   weights of the best epoch by validation macro-F1
//   state.json         optimiser step, epoch, best score: what --resume needs besides weights
//   report.html        the self-contained evaluation report
//   confusion.svg      the confusion matrix on its own
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface RunPaths {
  dir: string;
  config: string;
  split: string;
  metrics: string;
  lastWeights: string;
  bestWeights: string;
  state: string;
  report: string;
  confusion: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: join(dir, 'config.json'),
    split: join(dir, 'split.json'),
    metrics: join(dir, 'metrics.jsonl'),
    lastWeights: join(dir, 'last.safetensors'),
    bestWeights: join(dir, 'best.safetensors'),
    state: join(dir, 'state.json'),
    report: join(dir, 'report.html'),
    confusion: join(dir, 'confusion.svg'),
  };
}

/** A sortable, filesystem-safe folder name from the UTC time: 2026-11-26T21-40-05. */
export function timestampName(date: Date): string {
  return date.toISOString().slice(0, 19).replace(/:/g, '-');
}

export interface CreateRunOptions {
  /** Parent folder of runs; default "runs". */
  root?: string;
  /** Exact folder to use (from --out); created if missing. Overrides root/timestamp. */
  dir?: string;
  now?: Date;
}

/**
 * Creates the run folder and returns its paths. The default name is the UTC timestamp; when
 * two runs start within the same second the later one gets a "-2", "-3", ... suffix.
 */
export function createRunFolder(options: CreateRunOptions = {}): RunPaths {
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    return runPaths(options.dir);
  }
  const root = options.root ?? 'runs';
  mkdirSync(root, { recursive: true });
  const base = timestampName(options.now ?? new Date());
  for (let n = 1; n < 1000; n++) {
    const dir = join(root, n === 1 ? base : `${base}-${n}`);
    try {
      mkdirSync(dir); // not recursive: fails if it exists, which is how a free name is claimed
      return runPaths(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`could not create a run folder under ${root}: too many runs named ${base}`);
}

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one:
 * write a temporary sibling, fsync it, rename over the target, then fsync the folder so the
 * rename itself survives a power cut (best effort: not every platform can open a folder).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Folders cannot be opened for fsync on some systems (Windows); the rename is still atomic.
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T>(path: string): T {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Appends one record as one line. A line is written by a single write, so it is never interleaved. */
export function appendJsonl(path: string, record: unknown): void {
  const line = JSON.stringify(record);
  if (line.includes('\n')) throw new Error('appendJsonl: record serialises with a newline'); // cannot happen with JSON.stringify; guards a broken toJSON
  appendFileSync(path, line + '\n');
}

/**
 * Reads a JSONL file. A last line without its newline is what a crash in mid-append leaves:
 * it is dropped if it does not parse. Any other bad line is an error naming its line number.
 */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const isTail = i === lines.length - 1 && !complete;
    try {
      out.push(JSON.parse(line) as T);
    } catch (err) {
      if (isTail) break;
      throw new Error(`${path}:${i + 1} is not valid JSON: ${(err as Error).message}`);
    }
  }
  return out;
}

/** What the stop handler needs from `process`: injectable so tests need not send real signals. */
export interface SignalSource {
  on(event: 'SIGINT', listener: () => void): unknown;
  off(event: 'SIGINT', listener: () => void): unknown;
}

export interface StopHandler {
  readonly stopRequested: boolean;
  /** Removes the listener: Ctrl-C goes back to killing the process. */
  dispose(): void;
}

export interface StopHandlerOptions {
  source?: SignalSource;
  /** Told on the first Ctrl-C. */
  log?: (line: string) => void;
  /** Called on the second Ctrl-C; default exits with 130 (128 + SIGINT), as a shell does. */
  exit?: (code: number) => void;
}

/**
 * First Ctrl-C: sets `stopRequested` so the training loop can finish its step, save and leave
 * cleanly. Second Ctrl-C: exits at once (the last saved checkpoint is still whole, since every
 * save is atomic).
 */
export function installStopHandler(options: StopHandlerOptions = {}): StopHandler {
  const source = options.source ?? process;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let count = 0;
  const listener = () => {
    count++;
    if (count === 1) log('\nStopping after the current step and saving; press Ctrl-C again to quit at once.');
    else exit(130);
  };
  source.on('SIGINT', listener);
  return {
    get stopRequested() {
      return count > 0;
    },
    dispose() {
      source.off('SIGINT', listener);
    },
  };
}

/** The line printed after a stopped or interrupted run: how to carry on from where it stopped. */
export function resumeHint(paths: RunPaths, epochsDone: number): string {
  const dir = /\s/.test(paths.dir) ? JSON.stringify(paths.dir) : paths.dir;
  return `Stopped after ${epochsDone} epoch${epochsDone === 1 ? '' : 's'}; weights and state are in ${paths.dir}.\nResume with: npm run train -- --resume ${dir}`;
}
