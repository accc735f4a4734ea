// Every kernel-lab case, declared once per op at ResNet18's real layer shapes.
import type { KernelCase } from '../harness.js';
import type { Resnet18Shapes } from '../shapes.js';
import type { Conv2dVariant } from '../../src/kernels/conv2d.js';
import { batchnormCases } from './batchnorm.js';
import { conv2dCases } from './conv2d.js';
import { elementwiseCases } from './elementwise.js';
import { headCases } from './head.js';
import { optimCases } from './optim.js';
import { poolCases } from './pool.js';

/** Ops of a ResNet18 step that have no case yet. */
export const NOT_YET_BENCHMARKED: readonly string[] = [];

/** In a step's order: stem, blocks, head, optimiser. `convVariants`: time every listed conv engine. */
export function kernelCases(shapes: Resnet18Shapes, convVariants?: readonly Conv2dVariant[]): KernelCase[] {
  return [
    ...conv2dCases(shapes, convVariants),
    ...batchnormCases(shapes),
    ...poolCases(shapes),
    ...elementwiseCases(shapes),
    ...headCases(shapes),
    ...optimCases(shapes),
  ];
}
