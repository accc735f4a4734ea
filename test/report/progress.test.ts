import { formatDuration, Progress, type ProgressStream } from '../../src/cli/progress.js';

function capture(isTTY: boolean, columns = 100): ProgressStream & { text: string } {
  const s = {
    text: '',
    isTTY,
    columns,
    write(t: string) {
      s.text += t;
      return true;
    },
  };
  return s;
}

/** A clock the test moves by hand, in milliseconds. */
function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(65.4)).toBe('01:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
  });

  it('redraws one line on a TTY with rate and ETA, and ends it before other output', () => {
    const out = capture(true, 100);
    const c = clock();
    const p = new Progress({ stream: out, now: c.now, ttyIntervalMs: 100 });
    expect(p.mode).toBe('tty');
    c.advance(2000);
    p.step({ epoch: 1, epochs: 3, step: 1, steps: 4, loss: 2.5, images: 8 });
    // 8 images in 2 s = 4 img/s; 2 s per step, 3 steps left = 6 s.
    expect(out.text).toBe('\repoch 1/3 [########......................] 1/4 loss 2.5000 4.0 img/s ETA 00:06\x1b[K');
    out.text = '';
    c.advance(50); // within the redraw interval: nothing
    p.step({ epoch: 1, epochs: 3, step: 2, steps: 4, loss: 2.4, images: 8 });
    expect(out.text).toBe('');
    c.advance(1950);
    p.step({ epoch: 1, epochs: 3, step: 3, steps: 4, loss: 2.3, images: 8 });
    expect(out.text.startsWith('\r')).toBe(true);
    expect(out.text).toContain('3/4 loss 2.3000 6.0 img/s ETA 00:01');
    expect(out.text).not.toContain('\n');
    out.text = '';
    p.message('saved checkpoint');
    expect(out.text).toBe('\nsaved checkpoint\n');
    out.text = '';
    p.epochEnd({ epoch: 1, epochs: 3, trainLoss: 2.2, trainAccuracy: 0.25, valLoss: 2.1, valAccuracy: 0.5, valMacroF1: 0.4, best: true });
    expect(out.text).toBe('epoch 1/3  train loss 2.2000 acc 25.0%  val loss 2.1000 acc 50.0%  macro-F1 0.4000  00:04  (best so far)\n');
  });

  it('fits a narrow terminal by dropping the bar', () => {
    const out = capture(true, 50);
    const c = clock();
    const p = new Progress({ stream: out, now: c.now });
    c.advance(1000);
    p.step({ epoch: 1, epochs: 1, step: 1, steps: 2, loss: 1, images: 1 });
    expect(out.text).not.toContain('[#');
    expect(out.text).toContain('1/2 loss 1.0000');
    expect(out.text.replace('\x1b[K', '').length).toBeLessThanOrEqual(50);
  });

  it('prints plain lines at most every interval when not a TTY, always the last step', () => {
    const out = capture(false);
    const c = clock();
    const p = new Progress({ stream: out, now: c.now, plainIntervalMs: 10_000 });
    expect(p.mode).toBe('plain');
    for (let s = 1; s <= 10; s++) {
      c.advance(3000);
      p.step({ epoch: 2, epochs: 2, step: s, steps: 10, loss: 1 / s, images: 4 });
    }
    const lines = out.text.trimEnd().split('\n');
    expect(out.text).not.toContain('\r');
    expect(out.text).not.toContain('\x1b');
    // Steps 1 (t=3 s), 5 (t=15 s), 9 (t=27 s) pass the 10 s gate; step 10 is the epoch's last.
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['1/10', '5/10', '9/10', '10/10']);
    expect(lines[3]).toBe('epoch 2/2 10/10 loss 0.1000 1.3 img/s ETA 00:00');
  });

  it('emits one JSON object per event in json mode', () => {
    const out = capture(true);
    const c = clock();
    const p = new Progress({ stream: out, now: c.now, json: true });
    expect(p.mode).toBe('json');
    p.message('adapter: swiftshader');
    c.advance(500);
    p.step({ epoch: 1, epochs: 1, step: 1, steps: 2, loss: 0.75, images: 2 });
    c.advance(500);
    p.step({ epoch: 1, epochs: 1, step: 2, steps: 2, loss: 0.5, images: 2 });
    p.epochEnd({ epoch: 1, epochs: 1, trainLoss: 0.6 });
    p.done({ best: 'runs/x/best.safetensors' });
    const events = out.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['message', 'step', 'step', 'epoch', 'done']);
    expect(events[1]).toEqual({ event: 'step', t: 0.5, epoch: 1, epochs: 1, step: 1, steps: 2, loss: 0.75, imagesPerSecond: 4, etaSeconds: 0.5 });
    expect(events[2]).toMatchObject({ step: 2, imagesPerSecond: 4, etaSeconds: 0 });
    expect(events[3]).toEqual({ event: 'epoch', t: 1, epoch: 1, epochs: 1, trainLoss: 0.6, seconds: 1 });
    expect(events[4]).toEqual({ event: 'done', t: 1, best: 'runs/x/best.safetensors' });
  });

  it('restarts the rate at each epoch', () => {
    const out = capture(false);
    const c = clock();
    const p = new Progress({ stream: out, now: c.now, json: true });
    c.advance(1000);
    p.step({ epoch: 1, epochs: 2, step: 1, steps: 1, loss: 1, images: 100 });
    p.epochEnd({ epoch: 1, epochs: 2, trainLoss: 1 });
    c.advance(1000);
    p.step({ epoch: 2, epochs: 2, step: 1, steps: 1, loss: 1, images: 10 });
    const last = JSON.parse(out.text.trimEnd().split('\n').at(-1)!) as { imagesPerSecond: number };
    expect(last.imagesPerSecond).toBe(10);
  });
});
