// The session library: training, evaluation and prediction as the CLI and the web page use them.
// Browser-safe: everything that touches files, decoding or the clock's output is injected
// (ImageSource, RunStore, ImageDecoder, onEvent callbacks).
export * from './config.js';
export * from './io.js';
export * from './checkpoint.js';
export { makeSplit, splitFromManifest } from './split.js';
export { balancedClassWeights, tumourNormalCostMatrix } from './loss.js';
export { logitsFor, metricsFromLogits, buildReportData, normalLabelsOf, classificationReportOf, type ItemLogits, type EvalMetrics, type ReportInputs } from './evaluate.js';
export { evaluateCheckpoint, type EvaluationResult, type EvaluateOptions } from './evaluate-run.js';
export { TrainingRun, type TrainingData, type TrainingIO, type TrainingOptions, type TrainEvent, type TrainResult, type DataSummary, type EpochSummary, type RunState } from './train.js';
export { predictImages, gradCam, layer4Gradients, camMaps, overlayHeatmap, denormalise, type PredictInput, type ImagePrediction, type PredictOptions } from './predict.js';
export { parseStackManifest, stackDataset, stackSource, stackDecoder, composeChannels, STACK_SEPARATOR, type StackRow } from './stack.js';
