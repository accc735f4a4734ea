// Node only: writes an evaluation's files into a folder (a run folder or --out), each atomically.
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../cli/runfolder.js';
import { confusionSvg } from './confusion.js';
import { renderReport, type ReportData } from './html.js';
import { evaluationSummary, type EvaluationSummary } from './summary.js';

export interface EvaluationFiles {
  report: string;
  confusion: string;
  text: string;
  summary: string;
}

/**
 * report.html, confusion.svg, classification_report.txt and evaluation.json in `dir`, each
 * prefixed with `prefix` (e.g. "val-" for a per-epoch check next to the final "test-" one).
 */
export function writeEvaluation(dir: string, data: ReportData, prefix = ''): { files: EvaluationFiles; summary: EvaluationSummary } {
  const summary = evaluationSummary(data);
  const files: EvaluationFiles = {
    report: join(dir, `${prefix}report.html`),
    confusion: join(dir, `${prefix}confusion.svg`),
    text: join(dir, `${prefix}classification_report.txt`),
    summary: join(dir, `${prefix}evaluation.json`),
  };
  writeFileAtomic(files.report, renderReport(data));
  writeFileAtomic(files.confusion, `<?xml version="1.0" encoding="UTF-8"?>\n${confusionSvg(summary.confusion, data.labelNames, { title: `Confusion matrix (${data.run.evaluatedOn}, ${summary.images} images)`, highlight: data.normalLabel })}\n`);
  writeFileAtomic(files.text, summary.classificationReportText);
  writeJsonAtomic(files.summary, summary);
  return { files, summary };
}
