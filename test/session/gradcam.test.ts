// Grad-CAM through the engine's tape: layer4's gradient equals the closed form of avgpool + fc
// (d logit_c / dA[k, y, x] = fc.weight[c, k] / (h w), and through head @ fc with --head append),
// and camMaps against a float64 hand computation. Width-8 ResNet18 at 64 px (layer4 is 2 x 2).
import { useGpu } from '../helpers/gpu.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { ResNet18 } from '../../src/nn/resnet.js';
import { Rng, testSeed } from '../../src/reference/random.js';
import { camMaps, gradCam, layer4Gradients } from '../../src/session/predict.js';

const gpu = useGpu({ poison: true });

async function weightOf(model: ResNet18, name: string): Promise<Float32Array> {
  return Float32Array.from(await model.arena.get(name).param.data.toArray());
}

describe('Grad-CAM', () => {
  for (const head of ['replace', 'append'] as const) {
    it(`layer4 gradients equal the closed form (head ${head})`, async () => {
      const seed = testSeed();
      const rng = new Rng(seed);
      const K = 5;
      const model = new ResNet18(gpu(), { numClasses: K, width: 8, head, seed });
      const N = 3;
      const images = Tensor.fromArray(gpu(), rng.array(N * 3 * 64 * 64), [N, 3, 64, 64]);
      const classes = [1, 4, 0];
      const { act, grad, shape } = await layer4Gradients(gpu(), model, images, classes);
      const [n, C, h, w] = shape;
      expect([n, C, h, w]).toEqual([3, 64, 2, 2]);
      expect(act.every(Number.isFinite)).toBe(true);
      expect(act.some((v) => v > 0)).toBe(true);
      // Effective (K, C) map from pooled features to logits.
      const fcW = await weightOf(model, 'fc.weight');
      let eff: Float64Array;
      if (head === 'append') {
        const hW = await weightOf(model, 'head.weight'); // (K, 1000); fc (1000, C)
        eff = new Float64Array(K * C);
        for (let c = 0; c < K; c++) for (let k = 0; k < C; k++) for (let j = 0; j < 1000; j++) eff[c * C + k]! += hW[c * 1000 + j]! * fcW[j * C + k]!;
      } else eff = Float64Array.from(fcW);
      let maxErr = 0;
      let maxRef = 0;
      for (let i = 0; i < N; i++)
        for (let k = 0; k < C; k++)
          for (let j = 0; j < h * w; j++) {
            const ref = eff[classes[i]! * C + k]! / (h * w);
            maxErr = Math.max(maxErr, Math.abs(grad[(i * C + k) * h * w + j]! - ref));
            maxRef = Math.max(maxRef, Math.abs(ref));
          }
      // Gradient tolerance of the conventions (1e-3, norm-relative); here only a matmul and a mean.
      expect(maxErr / maxRef, `seed ${seed}`).toBeLessThanOrEqual(1e-3);
      const cam = await gradCam(gpu(), model, images, classes);
      expect(cam).toHaveLength(N * 64 * 64);
      expect(Array.from(cam).every((v) => v >= 0 && v <= 1)).toBe(true);
      images.release();
      model.destroy();
    });
  }

  it('camMaps: ReLU of the gradient-weighted sum, max-normalised, bilinear upsampling', () => {
    // One image, two channels of 2 x 2; gradient means 1 and -0.5.
    const act = [1, 2, 3, 4, 4, 0, 0, 4];
    const grad = [1, 1, 1, 1, -0.5, -0.5, -0.5, -0.5];
    const raw = [1 - 2, 2, 3, 4 - 2].map((v) => Math.max(0, v)); // [0, 2, 3, 2]
    const cam2 = camMaps(act, grad, 1, 2, 2, 2, 2);
    expect(Array.from(cam2)).toEqual(raw.map((v) => Math.fround(v / 3))); // f32 output
    const cam4 = camMaps(act, grad, 1, 2, 2, 2, 4);
    // Corners keep the cell values; (1, 1) sits a quarter of the way between the cells.
    expect(cam4[0]).toBeCloseTo(0, 12);
    expect(cam4[15]).toBeCloseTo(2 / 3, 6);
    const v11 = (0.75 * (0.75 * 0 + 0.25 * 2) + 0.25 * (0.75 * 3 + 0.25 * 2)) / 3;
    expect(cam4[1 * 4 + 1]).toBeCloseTo(v11, 6);
  });
});
