// The data pipeline's browser-safe API (Node-only pieces: ./node.ts).
export * from './labels.js';
export * from './scan.js';
export * from './image.js';
export * from './augment.js';
export * from './cache.js';
export * from './split.js';
export { DataLoader, splitByBinding, type Batch, type LoaderOptions } from './loader.js';
export { autocropBox, cropImage, DEFAULT_AUTOCROP, type AutocropMode, type AutocropOptions, type CropBox, type RgbaImage } from '../reference/autocrop.js';
export { IMAGENET_MEAN, IMAGENET_STD, IDENTITY_AUGMENT, type AugmentParams } from '../reference/resample.js';
