// Browser-safe weight I/O (bytes in, bytes out). Node file helpers live in ./node.ts.
export { loadWeights, type LoadedWeights, type WeightsFormat } from './load.js';
export { readPth, isLegacyPth, PthError, type PthFile } from './pth.js';
export {
  readSafetensors, writeSafetensors, jsonMetadata, parseJsonMetadata, isSafetensors,
  SafetensorsError, MAX_HEADER_BYTES, type SafetensorsFile,
} from './safetensors.js';
export { PickleError, PickleSecurityError } from './pickle.js';
export { ZipError } from './zip.js';
export {
  toFloat32, f32Tensor, numel, matchStateDict, assertStateDictMatches, ignoreNumBatchesTracked,
  DTYPE_BYTES, type DType, type HostData, type HostTensor, type StateDict, type MatchOptions,
  type MatchReport, type ShapeMismatch,
} from './state-dict.js';
