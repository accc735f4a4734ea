import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELS_15 } from '../../src/data/labels.js';
import { classificationReport, formatClassificationReport, type ReportData } from '../../src/report/index.js';
import { writeEvaluation } from '../../src/report/write-node.js';
import { markupErrors } from './wellformed.js';

describe('writeEvaluation', () => {
  it('writes report.html, confusion.svg, the text report and evaluation.json that agree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brainmri-eval-'));
    try {
      const yTrue = [0, 8, 8, 10, 10, 13, 13, 13, 2, 8];
      const yPred = [0, 10, 8, 10, 10, 13, 10, 1, 2, 8];
      const seqs = ['T1', 'T1C+', 'T2', 'T1', 'T2', 'T1', 'T2', 'T1C+', 'T1', 'T2'];
      const data: ReportData = {
        createdAt: '2026-11-26T22:00:00Z',
        run: { adapter: 'swiftshader', dataset: 'synthetic', splitSizes: { train: 40, val: 10, test: 10 }, evaluatedOn: 'test', config: {} },
        labelNames: LABELS_15,
        normalLabel: LABELS_15.indexOf('Normal'),
        predictions: yTrue.map((t, i) => ({ file: `f${i}.jpg`, trueLabel: t, predictedLabel: yPred[i]!, probability: 0.5 + i / 100, sequence: seqs[i] })),
        history: [],
      };
      const { files, summary } = writeEvaluation(dir, data, 'test-');
      expect(readdirSync(dir).sort()).toEqual(['test-classification_report.txt', 'test-confusion.svg', 'test-evaluation.json', 'test-report.html']);
      const report = classificationReport(yTrue, yPred, LABELS_15);
      expect(readFileSync(files.text, 'utf8')).toBe(formatClassificationReport(report));
      const json = JSON.parse(readFileSync(files.summary, 'utf8')) as typeof summary;
      expect(json).toEqual(summary);
      expect(json.accuracy).toBe(0.7);
      expect(json.macroF1).toBe(report.macro.f1);
      expect(json.confusion[8]![10]).toBe(1);
      expect(json.tumourPredictedNormal).toEqual([
        { file: 'f6.jpg', trueLabel: 'Schwannoma', probability: 0.56 },
        { file: 'f1.jpg', trueLabel: 'Meningioma', probability: 0.51 },
      ]);
      expect(json.bySequence.map((g) => [g.group, g.correct, g.total])).toEqual([['T1', 4, 4], ['T1C+', 0, 2], ['T2', 3, 4]]);
      const svg = readFileSync(files.confusion, 'utf8');
      expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
      expect(markupErrors(svg, 'xml')).toEqual([]);
      expect(markupErrors(readFileSync(files.report, 'utf8'), 'html')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
