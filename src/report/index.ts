// The report library: metrics with scikit-learn semantics, the confusion-matrix SVG, training
// curves and the self-contained report.html. Pure TypeScript, usable in Node and the browser.
export * from './metrics.js';
export { confusionSvg, type ConfusionSvgOptions } from './confusion.js';
export { lineChartSvg, niceTicks, type LineChartOptions, type Series } from './charts.js';
export { renderReport, type EpochRecord, type ReportData, type SamplePrediction, type Thumbnail } from './html.js';
export { base64, escapeXml } from './svg.js';
export * from './predictions.js';
export { bestEpoch, epochHistory, type EpochLine } from './history.js';
// Node-only thumbnails live in './thumbnail-node.js' (imports sharp), kept out of this index for the browser.
