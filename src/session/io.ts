// What a session needs from its surroundings, injected so the same code runs in Node (the CLI)
// and the browser (the web page): where image bytes come from, how they are decoded and cached,
// and where a run's files go. No Node imports here or anywhere under src/session.
import type { ImageCache } from '../data/cache.js';
import type { ImageDecoder } from '../data/image.js';
import type { ReportData, Thumbnail } from '../report/html.js';

/** Images of a dataset, addressed by the scanner's root-relative '/'-separated paths. */
export interface ImageSource {
  read(path: string): Promise<Uint8Array>;
  decoder: ImageDecoder;
  /** Decoded + cropped images kept across epochs (and runs, with a disk store). */
  cache?: ImageCache | null;
  /** Shown in reports: the dataset folder, or "synthetic". */
  description: string;
}

/** A run folder. Every write replaces the whole file atomically (a crash leaves the old one). */
export interface RunStore {
  /** Where the files are, as shown to the user (a path, or a name in the browser). */
  readonly location: string;
  write(name: string, data: Uint8Array | string): Promise<void>;
  /** Appends one line (metrics.jsonl). */
  append(name: string, line: string): Promise<void>;
  /** The file's bytes, or null when it does not exist. */
  read(name: string): Promise<Uint8Array | null>;
  /** Writes report.html, confusion.svg and the text report (Node: src/report/write-node.ts). */
  writeReport?(data: ReportData): Promise<void>;
  /** A small picture of an image file for the report's gallery of mistakes. */
  thumbnail?(bytes: Uint8Array): Promise<Thumbnail>;
}

/** A RunStore in memory (tests, and the browser before the user picks a folder). */
export class MemoryRunStore implements RunStore {
  readonly files = new Map<string, Uint8Array>();
  writeReport?: RunStore['writeReport'];
  thumbnail?: RunStore['thumbnail'];
  constructor(readonly location = 'memory') {}
  async write(name: string, data: Uint8Array | string): Promise<void> {
    this.files.set(name, typeof data === 'string' ? new TextEncoder().encode(data) : data.slice());
  }
  async append(name: string, line: string): Promise<void> {
    const old = this.files.get(name) ?? new Uint8Array(0);
    const add = new TextEncoder().encode(line.endsWith('\n') ? line : line + '\n');
    const out = new Uint8Array(old.length + add.length);
    out.set(old);
    out.set(add, old.length);
    this.files.set(name, out);
  }
  async read(name: string): Promise<Uint8Array | null> {
    return this.files.get(name) ?? null;
  }
  text(name: string): string | null {
    const b = this.files.get(name);
    return b ? new TextDecoder().decode(b) : null;
  }
}

/** File names inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  split: 'split.json',
  metrics: 'metrics.jsonl',
  model: 'model.safetensors',
  best: 'best.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'state.json',
} as const;
