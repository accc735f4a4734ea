// What the page needs from the shared session library (src/session), as the page sees it.
// src/web/engine.ts implements this over src/session; nothing here trains or evaluates.
import type { LabelMode } from '../data/scan.js';
import type { CropBox, RgbaImage } from '../reference/autocrop.js';
import type { AutocropName, HeadMode, OptimizerName } from '../session/config.js';
import type { ReportData } from '../report/html.js';
import type { WebDatasetSource } from './dataset.js';

export interface PageTrainOptions {
  labelMode: LabelMode;
  /** Test split: a fraction in (0, 1). */
  test: number;
  size: number;
  batchSize: number;
  epochs: number;
  optimizer: OptimizerName;
  lr: number;
  autocrop: AutocropName;
  /** ResNet18 width (64: torchvision's model; narrower trains faster on a CPU adapter). */
  width: number;
  /** replace: fc = Linear(512, K); append: keep the 1000-way fc and add Linear(1000, K). */
  head: HeadMode;
  augment: boolean;
  /** Stop after this many steps in all (0: no limit). */
  maxSteps: number;
  seed: number;
  /** Pretrained weights (.pth or .safetensors bytes), or null for random init. */
  pretrained: { name: string; bytes: Uint8Array } | null;
}

export interface PageProgress {
  epoch: number;
  epochs: number;
  /** Steps done in all, and planned in all. */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  /** Mean loss / accuracy of the batches since the last report. */
  loss?: number;
  trainAccuracy?: number;
  imagesPerSecond?: number;
  etaSeconds?: number;
}

export interface PageEpoch {
  epoch: number;
  trainLoss?: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
}

export interface PagePrediction {
  labels: readonly string[];
  /** Softmax probabilities by label index. */
  probabilities: Float64Array;
  logits: Float32Array;
  /** The decoded input and the autocrop box the model saw. */
  image: RgbaImage;
  box: CropBox;
  /** Grad-CAM of the top label, (h, w) in [0, 1], when the library provides it. */
  cam?: { height: number; width: number; values: Float32Array };
}
export type { ReportData, WebDatasetSource };
