// The page's engine: a thin adapter from the page's controls to the shared session library.
// TEMPORARY: src/session has not landed yet; every action says so instead of training.
import type { ImageDecoder } from '../data/image.js';
import type { Gpu } from '../gpu/runtime.js';
import type { PageEpoch, PagePrediction, PageProgress, PageTrainOptions, ReportData, WebDatasetSource } from './engine-types.js';

export interface TrainHooks {
  log(line: string): void;
  onProgress(p: PageProgress): void;
  onEpoch(e: PageEpoch): void;
}

const MISSING = 'the session library (src/session) is not available in this build yet';

export class PageEngine {
  training = false;
  canContinue = false;
  hasModel = false;
  hasTestSet = false;

  constructor(
    readonly gpu: Gpu,
    readonly adapterLabel: string,
    readonly decoder: ImageDecoder,
  ) {}

  async train(_source: WebDatasetSource, _options: PageTrainOptions, _hooks: TrainHooks): Promise<'done' | 'stopped'> {
    throw new Error(MISSING);
  }
  async continueTraining(_hooks: TrainHooks): Promise<'done' | 'stopped'> {
    throw new Error(MISSING);
  }
  stop(): void {}
  async evaluate(_onProgress: (done: number, total: number) => void): Promise<ReportData> {
    throw new Error(MISSING);
  }
  async predict(_bytes: Uint8Array, _name: string): Promise<PagePrediction> {
    throw new Error(MISSING);
  }
  async checkpoint(): Promise<Uint8Array> {
    throw new Error(MISSING);
  }
  async loadCheckpoint(_bytes: Uint8Array, _name: string): Promise<string> {
    throw new Error(MISSING);
  }
}
