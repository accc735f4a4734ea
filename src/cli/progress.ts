// Training progress output in three forms: a single redrawn line on a terminal, periodic plain
// lines when output goes to a file or CI log, and one JSON object per event (--json) for tools.
// The clock and the stream are injected so the output is testable byte for byte.

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface ProgressOptions {
  stream: ProgressStream;
  /** Default: "json" when json is set, else "tty" if stream.isTTY, else "plain". */
  mode?: ProgressMode;
  json?: boolean;
  /** Milliseconds, monotonic. Default performance.now. */
  now?: () => number;
  /** Plain mode: at most one step line per this many ms (the epoch's last step always prints). */
  plainIntervalMs?: number;
  /** TTY mode: redraw at most this often. */
  ttyIntervalMs?: number;
}

export interface StepInfo {
  epoch: number; // 1-based
  epochs: number;
  step: number; // steps done in this epoch, 1-based
  steps: number; // steps per epoch
  loss: number;
  /** Images processed in this step. */
  images: number;
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valMacroF1?: number;
  /** True when this epoch became the best checkpoint. */
  best?: boolean;
}

/** mm:ss, or h:mm:ss from an hour. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`;
}

function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;
}

export class Progress {
  readonly mode: ProgressMode;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly plainInterval: number;
  private readonly ttyInterval: number;
  private readonly start: number;
  private epochStart = 0;
  private epochImages = 0;
  private currentEpoch = -1;
  private lastDraw = -Infinity;
  private lineOpen = false; // TTY: a progress line is on screen without its newline
  private lastEventTime: number | undefined;

  constructor(options: ProgressOptions) {
    this.stream = options.stream;
    this.mode = options.mode ?? (options.json ? 'json' : options.stream.isTTY ? 'tty' : 'plain');
    this.now = options.now ?? (() => performance.now());
    this.plainInterval = options.plainIntervalMs ?? 10_000;
    this.ttyInterval = options.ttyIntervalMs ?? 100;
    this.start = this.now();
  }

  private elapsed(): number {
    return (this.now() - this.start) / 1000;
  }

  private emit(event: string, fields: Record<string, unknown>): void {
    this.stream.write(JSON.stringify({ event, t: Number(this.elapsed().toFixed(3)), ...fields }) + '\n');
  }

  /** A line of text that is not a progress update (adapter name, where the run folder is). */
  message(text: string): void {
    if (this.mode === 'json') return this.emit('message', { text });
    this.closeLine();
    this.stream.write(text + '\n');
  }

  step(info: StepInfo): void {
    const t = this.now();
    if (info.epoch !== this.currentEpoch) {
      this.currentEpoch = info.epoch;
      this.epochImages = 0;
      // The epoch's clock starts at the previous event (the last epoch's end, or construction),
      // so the first step's images already give a rate.
      this.epochStart = this.lastEventTime ?? this.start;
      this.lastDraw = -Infinity;
    }
    this.epochImages += info.images;
    this.lastEventTime = t;
    const secs = (t - this.epochStart) / 1000;
    const rate = secs > 0 ? this.epochImages / secs : 0;
    const eta = info.step > 0 && secs > 0 ? (secs / info.step) * (info.steps - info.step) : NaN;
    const last = info.step >= info.steps;

    if (this.mode === 'json') {
      this.emit('step', { epoch: info.epoch, epochs: info.epochs, step: info.step, steps: info.steps, loss: info.loss, imagesPerSecond: Number(rate.toFixed(3)), etaSeconds: Number.isFinite(eta) ? Number(eta.toFixed(1)) : null });
      return;
    }
    const interval = this.mode === 'tty' ? this.ttyInterval : this.plainInterval;
    if (!last && t - this.lastDraw < interval) return;
    this.lastDraw = t;
    const head = `epoch ${info.epoch}/${info.epochs}`;
    const tail = `${info.step}/${info.steps} loss ${fmtLoss(info.loss)} ${rate.toFixed(1)} img/s ETA ${formatDuration(eta)}`;
    if (this.mode === 'plain') {
      this.stream.write(`${head} ${tail}\n`);
      return;
    }
    const columns = this.stream.columns ?? 80;
    const room = columns - head.length - tail.length - 5; // spaces and brackets
    let line = `${head} ${tail}`;
    if (room >= 10) {
      const width = Math.min(30, room);
      const filled = Math.round((width * info.step) / info.steps);
      line = `${head} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${tail}`;
    }
    // \r back to column 0, then clear to the end of line so a shorter line leaves no residue.
    this.stream.write(`\r${line.slice(0, Math.max(0, columns - 1))}\x1b[K`);
    this.lineOpen = true;
  }

  epochEnd(info: EpochInfo): void {
    const seconds = (this.now() - this.epochStart) / 1000;
    this.lastEventTime = this.now();
    if (this.mode === 'json') {
      this.emit('epoch', { ...info, seconds: Number(seconds.toFixed(3)) });
      return;
    }
    this.closeLine();
    const parts = [
      `epoch ${info.epoch}/${info.epochs}`,
      `train loss ${fmtLoss(info.trainLoss)} acc ${pct(info.trainAccuracy)}`,
      info.valLoss !== undefined || info.valAccuracy !== undefined ? `val loss ${info.valLoss === undefined ? '-' : fmtLoss(info.valLoss)} acc ${pct(info.valAccuracy)}` : '',
      info.valMacroF1 !== undefined ? `macro-F1 ${info.valMacroF1.toFixed(4)}` : '',
      formatDuration(seconds),
      info.best ? '(best so far)' : '',
    ].filter(Boolean);
    this.stream.write(parts.join('  ') + '\n');
  }

  /** Final event: whatever the caller wants recorded (paths, best epoch). */
  done(fields: Record<string, unknown> = {}): void {
    if (this.mode === 'json') return this.emit('done', fields);
    this.closeLine();
    this.stream.write(`done in ${formatDuration(this.elapsed())}\n`);
  }

  private closeLine(): void {
    if (this.lineOpen) {
      this.stream.write('\n');
      this.lineOpen = false;
    }
  }
}
