// ResNet18's layer shapes for a given input size and batch: the grid every kernel case runs on.
// Activations x: (N, C, H, W); conv weights (Cout, Cin, k, k); linear weight (classes, 512).
// Shapes are derived the way torchvision's resnet18 computes them (7x7/2 stem, 3x3/2 max pool,
// four stages of two BasicBlocks, 1x1/2 downsample, global average pool, linear head).

export const RESNET18_WIDTHS = [64, 128, 256, 512] as const;
export const NUM_CLASSES = 15;

export interface ConvShape {
  /** The first layer (torchvision name) that has this shape. */
  layer: string;
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  ho: number;
  wo: number;
  /** How many convolutions of one ResNet18 pass have exactly this shape. */
  count: number;
}

export interface ActShape {
  layer: string;
  n: number;
  c: number;
  h: number;
  w: number;
  count: number;
}

export interface PoolShape extends ActShape {
  k: number;
  stride: number;
  pad: number;
  ho: number;
  wo: number;
}

export interface Resnet18Shapes {
  res: number;
  batch: number;
  convs: ConvShape[];
  /** BatchNorm inputs (one per conv). */
  batchnorms: ActShape[];
  /** ReLU inputs (stem, inside each block, after each residual add). */
  relus: ActShape[];
  /** Residual adds (block outputs). */
  adds: ActShape[];
  maxpool: PoolShape;
  /** Global average pool input. */
  avgpool: ActShape;
  /** Linear head: (batch, 512) -> (batch, classes). */
  linear: { n: number; in: number; out: number };
  /** Number of trainable parameters (conv, BN affine, linear). */
  params: number;
  /** Element count of every parameter tensor, in torchvision's order. */
  paramTensors: number[];
}

export const outSize = (h: number, k: number, stride: number, pad: number): number => Math.floor((h + 2 * pad - k) / stride) + 1;

/** Multiply-accumulates of one ResNet18 forward pass per image (convs and the linear head). */
export function forwardMacsPerImage(shapes: Resnet18Shapes): number {
  let macs = 0;
  for (const c of shapes.convs) macs += c.count * c.cout * c.ho * c.wo * c.cin * c.k * c.k;
  return macs + shapes.linear.in * shapes.linear.out;
}

function addCount<T extends { count: number }>(list: T[], item: T, key: (t: T) => string): void {
  const k = key(item);
  const found = list.find((x) => key(x) === k);
  if (found) found.count += item.count;
  else list.push(item);
}

export function resnet18Shapes(res: number, batch: number, classes = NUM_CLASSES): Resnet18Shapes {
  if (!Number.isInteger(res) || res < 8) throw new RangeError(`ResNet18 needs an input size of at least 8 (got ${res})`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive whole number (got ${batch})`);
  const convs: ConvShape[] = [];
  const batchnorms: ActShape[] = [];
  const relus: ActShape[] = [];
  const adds: ActShape[] = [];
  const convKey = (c: ConvShape): string => `${c.cin},${c.h},${c.w},${c.cout},${c.k},${c.stride},${c.pad}`;
  const actKey = (a: ActShape): string => `${a.c},${a.h},${a.w}`;
  const paramTensors: number[] = [];
  const conv = (layer: string, cin: number, h: number, cout: number, k: number, stride: number, pad: number): number => {
    const ho = outSize(h, k, stride, pad);
    addCount(convs, { layer, n: batch, cin, h, w: h, cout, k, stride, pad, ho, wo: ho, count: 1 }, convKey);
    const bnLayer = layer.replace(/conv(\d)$/, 'bn$1').replace(/downsample\.0$/, 'downsample.1');
    addCount(batchnorms, { layer: bnLayer, n: batch, c: cout, h: ho, w: ho, count: 1 }, actKey);
    paramTensors.push(cout * cin * k * k, cout, cout);
    return ho;
  };
  const relu = (layer: string, c: number, h: number): void => addCount(relus, { layer, n: batch, c, h, w: h, count: 1 }, actKey);

  let h = conv('conv1', 3, res, 64, 7, 2, 3);
  relu('relu', 64, h);
  const maxpool: PoolShape = { layer: 'maxpool', n: batch, c: 64, h, w: h, k: 3, stride: 2, pad: 1, ho: outSize(h, 3, 2, 1), wo: outSize(h, 3, 2, 1), count: 1 };
  h = maxpool.ho;
  let cin = 64;
  RESNET18_WIDTHS.forEach((width, s) => {
    for (let b = 0; b < 2; b++) {
      const name = `layer${s + 1}.${b}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const ho = conv(`${name}.conv1`, cin, h, width, 3, stride, 1);
      relu(`${name}.relu1`, width, ho);
      conv(`${name}.conv2`, width, ho, width, 3, 1, 1);
      if (stride !== 1 || cin !== width) conv(`${name}.downsample.0`, cin, h, width, 1, stride, 0);
      addCount(adds, { layer: `${name}.add`, n: batch, c: width, h: ho, w: ho, count: 1 }, actKey);
      relu(`${name}.relu2`, width, ho);
      cin = width;
      h = ho;
    }
  });
  paramTensors.push(512 * classes, classes);
  return {
    res,
    batch,
    convs,
    batchnorms,
    relus,
    adds,
    maxpool,
    avgpool: { layer: 'avgpool', n: batch, c: 512, h, w: h, count: 1 },
    linear: { n: batch, in: 512, out: classes },
    params: paramTensors.reduce((a, b) => a + b, 0),
    paramTensors,
  };
}
