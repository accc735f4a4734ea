// Metrics against scikit-learn: fixtures written by scripts/fixtures/make_report_fixtures.py
// (sklearn's classification_report output_dict and text, confusion_matrix).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LABELS_15 } from '../../src/data/labels.js';
import {
  accuracyByGroup,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  formatFixed,
  macroF1,
  presentLabels,
  reportToDict,
  tumourPredictedNormal,
} from '../../src/report/metrics.js';

interface Scores {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
}
interface Case {
  name: string;
  labelNames: string[];
  yTrue: number[];
  yPred: number[];
  labels: number[] | null;
  digits: number;
  usedLabels: number[];
  reportDict: Record<string, Scores | number>;
  reportText: string;
  confusion: number[][];
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/report/classification_report.json', import.meta.url)), 'utf8')) as {
  sklearn: string;
  cases: Case[];
};

// Same float64 operations in the same order as sklearn, so differences can only be summation
// order in the averages (numpy's pairwise sum): far below 1e-12.
const TOL = 1e-12;

describe('classification report vs scikit-learn ' + fixture.sklearn, () => {
  it('uses the project\'s 15 labels, Normal at index 10', () => {
    for (const c of fixture.cases) expect(c.labelNames).toEqual(LABELS_15);
    expect(LABELS_15[10]).toBe('Normal');
  });

  it('has the cases the fixture script promises', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual([
      'imbalanced_15',
      'never_predicted',
      'absent_in_true',
      'explicit_labels_one_absent',
      'explicit_labels_all_present',
      'ties_three_labels',
      'binary_normal_vs_astro_4digits',
      'perfect',
    ]);
  });

  for (const c of fixture.cases) {
    describe(c.name, () => {
      const report = classificationReport(c.yTrue, c.yPred, c.labelNames, c.labels ? { labels: c.labels } : {});

      it('covers the same labels', () => {
        expect(report.labels).toEqual(c.usedLabels);
      });

      it('matches output_dict to 1e-12', () => {
        const mine = reportToDict(report);
        expect(Object.keys(mine)).toEqual(Object.keys(c.reportDict));
        for (const [key, want] of Object.entries(c.reportDict)) {
          const got = mine[key]!;
          if (typeof want === 'number') {
            expect(typeof got).toBe('number');
            expect(Math.abs((got as number) - want), key).toBeLessThanOrEqual(TOL);
            continue;
          }
          const g = got as Scores;
          for (const field of ['precision', 'recall', 'f1-score'] as const) {
            expect(Math.abs(g[field] - want[field]), `${key} ${field}`).toBeLessThanOrEqual(TOL);
          }
          expect(g.support, `${key} support`).toBe(want.support);
        }
      });

      it('prints the same text', () => {
        expect(formatClassificationReport(report, c.digits)).toBe(c.reportText);
      });

      it('builds the same confusion matrix', () => {
        expect(confusionMatrix(c.yTrue, c.yPred, c.usedLabels)).toEqual(c.confusion);
      });
    });
  }
});

describe('formatFixed', () => {
  it('rounds exact ties to even like Python and everything else correctly', () => {
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(0.625, 2)).toBe('0.62');
    expect(formatFixed(0.875, 2)).toBe('0.88');
    expect(formatFixed(0.0625, 3)).toBe('0.062');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    // 0.135 is not a tie in binary (it is 0.13500000000000000888...), so it rounds up.
    expect(formatFixed(0.135, 2)).toBe('0.14');
    expect(formatFixed(1, 2)).toBe('1.00');
    expect(formatFixed(0, 2)).toBe('0.00');
    expect(formatFixed(0.7999999999, 4)).toBe('0.8000');
  });
});

describe('helpers', () => {
  const names = ['A', 'B', 'Normal', 'D'];
  const yTrue = [0, 0, 1, 1, 2, 2, 3, 3, 0, 1];
  const yPred = [0, 2, 1, 2, 2, 0, 3, 2, 0, 1];

  it('presentLabels is sorted and unique', () => {
    expect(presentLabels([3, 1, 1], [0, 3, 5])).toEqual([0, 1, 3, 5]);
  });

  it('macroF1 averages over every label, absent ones as 0', () => {
    // Per label by hand: A p=2/3 r=2/3; B p=1 r=2/3; Normal p=1/4 r=1/2; D p=1 r=1/2.
    const f = (p: number, r: number) => (2 * p * r) / (p + r);
    const byHand = (f(2 / 3, 2 / 3) + f(1, 2 / 3) + f(1 / 4, 1 / 2) + f(1, 1 / 2)) / 4;
    expect(macroF1(yTrue, yPred, 4)).toBeCloseTo(byHand, 14);
    // A fifth label that nobody has pulls the macro average down by 4/5.
    expect(macroF1(yTrue, yPred, 5)).toBeCloseTo((byHand * 4) / 5, 14);
    expect(names.length).toBe(4);
  });

  it('accuracyByGroup counts per sequence, in the order asked', () => {
    const seq = ['T1', 'T2', 'T1C+', 'T1', 'T2', 'T2', 'T1C+', 'T1', 'X', 'T1'];
    expect(accuracyByGroup(yTrue, yPred, seq, ['T1', 'T1C+', 'T2', 'FLAIR'])).toEqual([
      { group: 'T1', correct: 2, total: 4, accuracy: 0.5 },
      { group: 'T1C+', correct: 2, total: 2, accuracy: 1 },
      { group: 'T2', correct: 1, total: 3, accuracy: 1 / 3 },
      { group: 'FLAIR', correct: 0, total: 0, accuracy: 0 },
      { group: 'X', correct: 1, total: 1, accuracy: 1 },
    ]);
    expect(() => accuracyByGroup(yTrue, yPred, seq.slice(1))).toThrow(/groups/);
  });

  it('tumourPredictedNormal lists tumours called Normal, not Normal called Normal', () => {
    expect(tumourPredictedNormal(yTrue, yPred, 2)).toEqual([1, 3, 7]);
    // Two Normal labels (the 44-folder scheme): Normal-as-other-Normal is not a miss.
    expect(tumourPredictedNormal([0, 1, 2, 3, 0], [2, 2, 3, 2, 3], [2, 3])).toEqual([0, 1, 4]);
  });

  it('rejects mismatched lengths and bad labels', () => {
    expect(() => classificationReport([0, 1], [0], names)).toThrow(/samples/);
    expect(() => classificationReport([0, -1], [0, 1], names)).toThrow(/non-negative/);
    expect(() => classificationReport([0, 7], [0, 1], names)).toThrow(/no name/);
  });
});
