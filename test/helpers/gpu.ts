// One GPU per test file: creating adapters in many workers at once has crashed Dawn for others.
// There is no skip path: without an adapter, createNodeGpu throws and every test in the file fails.
import { createNodeGpu } from '../../src/gpu/node.js';
import type { Gpu, GpuOptions } from '../../src/gpu/runtime.js';

export function useGpu(options: GpuOptions = {}): () => Gpu {
  // Pass { poison: true } to NaN-fill every pooled buffer as it is handed out.
  let gpu: Gpu | undefined;
  beforeAll(async () => {
    gpu = await createNodeGpu({ ...options, log: () => {} });
  });
  afterAll(() => {
    gpu?.destroy();
    gpu = undefined;
  });
  return () => {
    if (!gpu) throw new Error('no GPU: createNodeGpu failed in beforeAll (see the first error of this file)');
    return gpu;
  };
}
