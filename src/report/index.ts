// The report library: metrics with scikit-learn semantics, the confusion-matrix SVG, training
// curves and the self-contained report.html. Pure TypeScript, usable in Node and the browser.
export * from './metrics.js';
export { confusionSvg, type ConfusionSvgOptions } from './confusion.js';
export { lineChartSvg, niceTicks, type LineChartOptions, type Series } from './charts.js';
export { renderReport, type EpochRecord, type ReportData, type SamplePrediction, type Thumbnail } from './html.js';
export { base64, escapeXml } from './svg.js';
export * from './predictions.js';
export { bestEpoch, epochHistory, type EpochLine } from './history.js';
export { evaluationSummary, type EvaluationSummary } from './summary.js';
// Node-only parts (sharp thumbnails, file writing) live in './thumbnail-node.js' and
// './write-node.js', kept out of this index so the browser bundle stays free of Node modules.
