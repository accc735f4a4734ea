// evaluation.json: the machine-readable twin of report.html (what scripts and CI compare).
import type { ReportData } from './html.js';
import { accuracyByGroup, classificationReport, confusionMatrix, formatClassificationReport, isTumourPredictedNormal, normalSet, reportToDict, type GroupAccuracy } from './metrics.js';

export interface EvaluationSummary {
  evaluatedOn: string;
  images: number;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  /** sklearn's classification_report(output_dict=True) over the labels present. */
  classificationReport: ReturnType<typeof reportToDict>;
  /** The same report in sklearn's text layout. */
  classificationReportText: string;
  labelNames: string[];
  /** Rows = true label, columns = predicted, over all labels. */
  confusion: number[][];
  bySequence: GroupAccuracy[];
  /** Files of tumour images predicted Normal, most confident first. */
  tumourPredictedNormal: { file: string; trueLabel: string; probability: number }[];
}

export function evaluationSummary(data: ReportData): EvaluationSummary {
  const preds = data.predictions;
  if (preds.length === 0) throw new RangeError('evaluationSummary: no predictions');
  const yTrue = preds.map((p) => p.trueLabel);
  const yPred = preds.map((p) => p.predictedLabel);
  const report = classificationReport(yTrue, yPred, data.labelNames);
  const hasSeq = preds.some((p) => p.sequence !== undefined);
  const normal = normalSet(data.normalLabel);
  return {
    evaluatedOn: data.run.evaluatedOn,
    images: preds.length,
    accuracy: report.accuracy,
    macroF1: report.macro.f1,
    weightedF1: report.weighted.f1,
    classificationReport: reportToDict(report),
    classificationReportText: formatClassificationReport(report),
    labelNames: [...data.labelNames],
    confusion: confusionMatrix(yTrue, yPred, data.labelNames.length),
    bySequence: hasSeq ? accuracyByGroup(yTrue, yPred, preds.map((p) => p.sequence ?? 'unknown'), data.sequences ?? ['T1', 'T1C+', 'T2']) : [],
    tumourPredictedNormal: preds
      .filter((p) => isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normal))
      .sort((a, b) => b.probability - a.probability)
      .map((p) => ({ file: p.file, trueLabel: data.labelNames[p.trueLabel] ?? String(p.trueLabel), probability: p.probability })),
  };
}
