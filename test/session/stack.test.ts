// T1/T1C+/T2 stacking: the manifest parser, the channel composition (R = T1, G = T1C+, B = T2,
// missing = black, other sizes resampled), and a tiny run where only the channel of the lesion
// tells the classes apart (it learns: the loss falls).
import { useGpu } from '../helpers/gpu.js';
import { defaultConfig, resolveConfig } from '../../src/session/config.js';
import { MemoryRunStore, type ImageSource } from '../../src/session/io.js';
import { composeChannels, parseStackManifest, stackDataset, stackSource } from '../../src/session/stack.js';
import { TrainingRun, type TrainEvent } from '../../src/session/train.js';
import { Rng } from '../../src/reference/random.js';
import { rawDecoder, rawImage } from './tiny.js';

const gpu = useGpu();

describe('T1/T1C+/T2 stacks', () => {
  it('parses the manifest', () => {
    const rows = parseStackManifest('label,t1,t1c,t2\nGlioblastoma,a/1.jpg,"b/1, c.jpg",c/1.jpg\r\nNormal,n/1.jpg,,n/2.jpg\n');
    expect(rows).toEqual([
      { label: 'Glioblastoma', paths: ['a/1.jpg', 'b/1, c.jpg', 'c/1.jpg'] },
      { label: 'Normal', paths: ['n/1.jpg', null, 'n/2.jpg'] },
    ]);
    expect(() => parseStackManifest('label,t1,t2\nx,y,z')).toThrow(/header/);
    expect(() => stackDataset([{ label: 'Nope', paths: ['a', null, null] }])).toThrow(/unknown label/);
  });

  it('composes gray images into R, G, B', () => {
    const im = (w: number, h: number, v: (x: number, y: number) => number) => {
      const rgba = new Uint8Array(w * h * 4);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set([v(x, y), v(x, y), v(x, y), 255], (y * w + x) * 4);
      return { width: w, height: h, rgba };
    };
    const t1 = im(2, 2, (x, y) => 10 * (1 + x + 2 * y));
    const t2 = im(1, 1, () => 200); // other size: resampled onto 2 x 2
    const out = composeChannels([t1, null, t2]);
    expect(out.width).toBe(2);
    expect(Array.from(out.rgba)).toEqual([10, 0, 200, 255, 20, 0, 200, 255, 30, 0, 200, 255, 40, 0, 200, 255]);
  });

  it('trains on stacks told apart only by the lesion channel', async () => {
    const size = 20;
    const rng = new Rng(9);
    const files = new Map<string, Uint8Array>();
    const head = (blob: boolean) => rawImage(size, size, (x, y) => {
      let v = Math.hypot(x - size / 2, y - size / 2) < size * 0.42 ? 90 + rng.uniform(-20, 20) : 5;
      if (blob && Math.hypot(x - size * 0.35, y - size * 0.4) < size * 0.15) v = 230;
      return v;
    });
    const lines = ['label,t1,t1c,t2'];
    const kinds: [string, [boolean, boolean, boolean]][] = [['Glioblastoma', [false, true, false]], ['Meningioma', [false, false, true]], ['Normal', [false, false, false]]];
    for (const [label, blobs] of kinds) {
      for (let i = 0; i < 6; i++) {
        const cells = blobs.map((b, c) => {
          if (label === 'Normal' && c === 1) return ''; // Normal has no T1C+
          const p = `${label}/${i}-${c}.raw`;
          files.set(p, head(b));
          return p;
        });
        lines.push([label, ...cells].join(','));
      }
    }
    const base: ImageSource = { description: 'stacks', decoder: rawDecoder, read: async (p) => files.get(p)! };
    const dataset = stackDataset(parseStackManifest(lines.join('\n')));
    const events: TrainEvent[] = [];
    const config = resolveConfig(defaultConfig({ isSwiftShader: true }), { res: 20, batch: 6, epochs: 4, width: 8, autocrop: 'off', valSize: 0, stack: 'stacks.csv' });
    await new TrainingRun(gpu(), { dataset }, { config }, { source: stackSource(base), store: new MemoryRunStore() }).run((e) => events.push(e));
    const losses = events.flatMap((e) => (e.type === 'epoch' ? [e.trainLoss] : []));
    expect(losses).toHaveLength(4);
    expect(losses[3]!).toBeLessThan(losses[0]! * 0.7);
  });
});
