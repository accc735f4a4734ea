// Whole ResNet18 steps: training (forward, loss, backward, Adadelta) and inference, timed as the
// engine runs them. The first step (pipeline compilation, first buffer allocations) is reported
// apart from the steady-state median.
import type { Gpu } from '../src/gpu/runtime.js';

export type StepKind = 'train' | 'infer';

export interface StepOptions {
  res: number;
  batch: number;
  warmup: number;
  steps: number;
  log: (line: string) => void;
}

export interface StepResult {
  kind: 'step';
  name: string;
  available: boolean;
  /** Why the case did not run, when it did not. */
  note?: string;
  res: number;
  batch: number;
  median_ms: number | null;
  min_ms?: number;
  all_ms?: number[];
  first_step_ms?: number;
  img_s?: number;
  /** Highest bytes the buffer pool held live during the measured steps. */
  peak_pool_bytes?: number;
  dispatches_per_step?: number;
  submits_per_step?: number;
  pipelines_compiled?: number;
  /** Loss of the first and last step (training), to show the step does real work. */
  loss_first?: number;
  loss_last?: number;
  ok?: boolean;
  /** The kernels that take the most time in one step (GPU timestamps), ms summed per name. */
  top_kernels?: { name: string; ms: number; count: number }[];
}

export async function runStep(gpu: Gpu, kind: StepKind, opts: StepOptions): Promise<StepResult> {
  void gpu;
  return {
    kind: 'step',
    name: `resnet18.${kind}`,
    available: false,
    note: 'not available yet: src/nn has no ResNet18 model and training step at this commit',
    res: opts.res,
    batch: opts.batch,
    median_ms: null,
  };
}
