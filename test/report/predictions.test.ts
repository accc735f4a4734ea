import sharp from 'sharp';
import { bestEpoch, epochHistory, formatTopK, predictFromLogits, predictionsCsv, softmaxRows, topK } from '../../src/report/index.js';
import { makeThumbnail } from '../../src/report/thumbnail-node.js';

describe('predictions from logits', () => {
  it('softmax rows match exp(x)/sum exp(x) and survive huge logits', () => {
    const logits = [1, 2, 3, -1, 0, 1, 1000, 1000, 999];
    const p = softmaxRows(logits, 3);
    const row = (xs: number[]) => xs.map((x) => Math.exp(x) / xs.reduce((s, y) => s + Math.exp(y), 0));
    const want = [...row([1, 2, 3]), ...row([-1, 0, 1]), ...row([1, 1, 0])];
    want.forEach((w, i) => expect(Math.abs(p[i]! - w)).toBeLessThan(1e-15));
    expect(() => softmaxRows([1, 2, 3], 2)).toThrow(/whole number of rows/);
    expect(() => softmaxRows([1, NaN], 2)).toThrow(/row 0 has a non-finite logit/);
  });

  it('argmax takes the first of tied maxima, like numpy and PyTorch', () => {
    const r = predictFromLogits(new Float32Array([0, 5, 5, 1, 9, 0, 0, 0, 0]), 3);
    expect([...r.predicted]).toEqual([1, 1, 0]);
    expect(r.probability[2]).toBeCloseTo(1 / 3, 15);
    expect(r.probabilities).toHaveLength(9);
  });

  it('topK ranks by probability then label', () => {
    expect(topK([0.1, 0.4, 0.4, 0.1], 3)).toEqual([{ label: 1, probability: 0.4 }, { label: 2, probability: 0.4 }, { label: 0, probability: 0.1 }]);
    expect(topK([1], 5)).toHaveLength(1);
  });

  it('formatTopK prints one aligned line per file', () => {
    const text = formatTopK([{ file: 'a.jpg', probabilities: [0.05, 0.9, 0.05] }, { file: 'longer name.jpg', probabilities: [0.5, 0.2, 0.3] }], ['Glioma', 'Meningioma', 'Normal'], 2);
    expect(text).toBe('a.jpg            Meningioma 90.0%  Glioma 5.0%\nlonger name.jpg  Glioma 50.0%  Normal 30.0%');
  });

  it('predictions.csv quotes fields that need it and has one probability column per label', () => {
    const csv = predictionsCsv(
      [
        { file: 'Meningioma T1/img (1).jpg', predictedLabel: 1, probabilities: [0.25, 0.75], trueLabel: 0, sequence: 'T1' },
        { file: 'odd, "name".png', predictedLabel: 0, probabilities: [0.5, 0.5] },
      ],
      ['A', 'B'],
    );
    expect(csv).toBe(
      'file,sequence,true,predicted,probability,p_A,p_B\r\n' +
        'Meningioma T1/img (1).jpg,T1,A,B,0.750000,0.250000,0.750000\r\n' +
        '"odd, ""name"".png",,,A,0.500000,0.500000,0.500000\r\n',
    );
    expect(() => predictionsCsv([{ file: 'x', predictedLabel: 0, probabilities: [1] }], ['A', 'B'])).toThrow(/1 probabilities for 2 labels/);
  });
});

describe('metrics.jsonl history', () => {
  it('keeps epoch lines, the last one per epoch, sorted, and drops non-finite values', () => {
    const lines = [
      { event: 'start', time: 't' },
      { event: 'epoch', epoch: 2, trainLoss: 1.5, valMacroF1: 0.3, time: 't' },
      { event: 'epoch', epoch: 1, trainLoss: 2.0, valLoss: null, valMacroF1: 0.2, time: 't' },
      { event: 'eval', epoch: 1, accuracy: 0.9 },
      { event: 'epoch', epoch: 2, trainLoss: 1.4, valMacroF1: 0.35, time: 't' }, // after a resume
      'garbage',
      null,
    ];
    const h = epochHistory(lines);
    expect(h).toEqual([
      { epoch: 1, trainLoss: 2.0, valMacroF1: 0.2 },
      { epoch: 2, trainLoss: 1.4, valMacroF1: 0.35 },
    ]);
    expect(bestEpoch(h)?.epoch).toBe(2);
    expect(bestEpoch([{ epoch: 1, valMacroF1: 0.5 }, { epoch: 2, valMacroF1: 0.5 }])?.epoch).toBe(1);
    expect(bestEpoch([{ epoch: 1 }])).toBeUndefined();
  });
});

describe('thumbnails (Node)', () => {
  it('fits any image into a black square JPEG', async () => {
    // 300x100 white bar: after fitting into 64x64 it fills the middle third, black above and below.
    const src = await sharp({ create: { width: 300, height: 100, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    const t = await makeThumbnail(new Uint8Array(src), 64);
    expect(t.mime).toBe('image/jpeg');
    expect([...t.bytes.slice(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const { data, info } = await sharp(Buffer.from(t.bytes)).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([64, 64]);
    const at = (x: number, y: number) => data[y * 64 + x]!;
    expect(at(32, 2)).toBeLessThan(30);
    expect(at(32, 61)).toBeLessThan(30);
    expect(at(32, 32)).toBeGreaterThan(225);
  });
});
