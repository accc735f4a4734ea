// Every kernel-lab case, declared once per op at ResNet18's real layer shapes.
import type { KernelCase } from '../harness.js';
import type { Resnet18Shapes } from '../shapes.js';
import { batchnormCases } from './batchnorm.js';
import { elementwiseCases } from './elementwise.js';
import { headCases } from './head.js';
import { optimCases } from './optim.js';

/** Ops of a ResNet18 step that have no case yet (their kernels had not landed when this was written). */
export const NOT_YET_BENCHMARKED: readonly string[] = ['conv2d', 'maxpool2d', 'avgpool'];

export function kernelCases(shapes: Resnet18Shapes): KernelCase[] {
  return [...batchnormCases(shapes), ...elementwiseCases(shapes), ...headCases(shapes), ...optimCases(shapes)];
}
