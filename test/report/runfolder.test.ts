import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, appendFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendJsonl,
  createRunFolder,
  installStopHandler,
  readJson,
  readJsonl,
  resumeHint,
  runPaths,
  timestampName,
  writeFileAtomic,
  writeJsonAtomic,
  type SignalSource,
} from '../../src/cli/runfolder.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brainmri-run-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('run folder', () => {
  it('names runs by UTC time and never reuses a folder', () => {
    const now = new Date(Date.UTC(2026, 10, 26, 21, 40, 5, 123));
    expect(timestampName(now)).toBe('2026-11-26T21-40-05');
    const a = createRunFolder({ root: join(dir, 'runs'), now });
    const b = createRunFolder({ root: join(dir, 'runs'), now });
    expect(a.dir).toBe(join(dir, 'runs', '2026-11-26T21-40-05'));
    expect(b.dir).toBe(join(dir, 'runs', '2026-11-26T21-40-05-2'));
    expect(existsSync(a.dir) && existsSync(b.dir)).toBe(true);
    expect(a.metrics).toBe(join(a.dir, 'metrics.jsonl'));
    const fixed = createRunFolder({ dir: join(dir, 'my run') });
    expect(fixed).toEqual(runPaths(join(dir, 'my run')));
    expect(existsSync(fixed.dir)).toBe(true);
  });

  it('writeFileAtomic replaces the whole file and leaves no temporary behind', () => {
    const p = join(dir, 'w.bin');
    writeFileSync(p, 'old contents that are longer');
    writeFileAtomic(p, 'new');
    expect(readFileSync(p, 'utf8')).toBe('new');
    const bytes = new Uint8Array(3 << 20).map((_, i) => (i * 31) & 255);
    writeFileAtomic(p, bytes);
    expect(Buffer.compare(readFileSync(p), Buffer.from(bytes))).toBe(0);
    expect(readdirSync(dir)).toEqual(['w.bin']);
  });

  it('writeFileAtomic keeps the old file when the write fails', () => {
    const p = join(dir, 'keep.json');
    writeFileSync(p, '{"ok":true}');
    // A folder where the temporary would go cannot be written: target must survive untouched.
    const missing = join(dir, 'no-such-folder', 'x.json');
    expect(() => writeFileAtomic(missing, 'x')).toThrow();
    // Renaming over a folder fails after the temp file was written: temp must be cleaned up.
    const asDir = join(dir, 'isdir');
    mkdirSync(asDir);
    writeFileSync(join(asDir, 'child'), '');
    expect(() => writeFileAtomic(asDir, 'x')).toThrow();
    expect(readFileSync(p, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(dir).sort()).toEqual(['isdir', 'keep.json']);
  });

  it('JSON round trip', () => {
    const p = join(dir, 'config.json');
    writeJsonAtomic(p, { lr: 1, labels: ['a', 'b'] });
    expect(readJson(p)).toEqual({ lr: 1, labels: ['a', 'b'] });
    writeFileSync(p, '{broken');
    expect(() => readJson(p)).toThrow(/config.json is not valid JSON/);
  });

  it('JSONL appends one line per record and tolerates only a torn last line', () => {
    const p = join(dir, 'metrics.jsonl');
    expect(readJsonl(p)).toEqual([]);
    appendJsonl(p, { epoch: 1, loss: 2.5 });
    appendJsonl(p, { epoch: 2, loss: 'x\ny' });
    expect(readFileSync(p, 'utf8').split('\n')).toHaveLength(3);
    expect(readJsonl(p)).toEqual([{ epoch: 1, loss: 2.5 }, { epoch: 2, loss: 'x\ny' }]);
    appendFileSync(p, '{"epoch": 3, "lo'); // a crash in mid-append
    expect(readJsonl(p)).toHaveLength(2);
    writeFileSync(p, '{"a":1}\nnot json\n{"a":2}\n');
    expect(() => readJsonl(p)).toThrow(/metrics.jsonl:2/);
  });

  it('first Ctrl-C requests a stop, the second exits with 130', () => {
    const source = new EventEmitter() as EventEmitter & SignalSource;
    const logs: string[] = [];
    const exits: number[] = [];
    const h = installStopHandler({ source, log: (l) => logs.push(l), exit: (c) => exits.push(c) });
    expect(h.stopRequested).toBe(false);
    source.emit('SIGINT');
    expect(h.stopRequested).toBe(true);
    expect(exits).toEqual([]);
    expect(logs.join()).toMatch(/Ctrl-C again/);
    source.emit('SIGINT');
    expect(exits).toEqual([130]);
    h.dispose();
    expect(source.listenerCount('SIGINT')).toBe(0);
  });

  it('resume hint names the folder and the command', () => {
    expect(resumeHint(runPaths('runs/2026-11-26T21-40-05'), 3)).toBe(
      'Stopped after 3 epochs; weights and state are in runs/2026-11-26T21-40-05.\nResume with: npm run train -- --resume runs/2026-11-26T21-40-05',
    );
    expect(resumeHint(runPaths('my runs/a'), 1)).toContain('--resume "my runs/a"');
  });
});
