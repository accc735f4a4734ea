// The engine runtime: adapter choice, dispatch splitting, buffer pool reuse, pipeline cache.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fill, poison, POISON_BITS } from '../src/kernels/fill.js';
import { requestNodeAdapter } from '../src/gpu/node.js';
import { sizeClass } from '../src/gpu/pool.js';
import { Tensor } from '../src/gpu/tensor.js';
import type { Kernel } from '../src/gpu/kernel.js';
import { useGpu } from './helpers/gpu.js';

const gpu = useGpu({ quietWaits: true });

// Writes out[i] = i * 3 + 1 over a 1-D range; the linear workgroup index folds y into x.
const iotaKernel: Kernel = {
  name: 'test.iota',
  source: /* wgsl */ `
    struct Params { count: u32 }
    @group(0) @binding(0) var<uniform> params: Params;
    @group(0) @binding(1) var<storage, read_write> out: array<u32>;
    @compute @workgroup_size(64)
    fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
      let i = (wid.x + wid.y * nwg.x) * 64u + lid;
      if (i < params.count) { out[i] = i * 3u + 1u; }
    }`,
};

describe('adapter acquisition', () => {
  it('finds SwiftShader by itself when VK_ICD_FILENAMES is unset', () => {
    // A fresh process, without the variables this one may have set, must still find an adapter.
    const env = { ...process.env };
    delete env.VK_ICD_FILENAMES;
    delete env.VK_DRIVER_FILES;
    delete env.BRAINMRI_ADAPTER;
    const script = `
      import { createNodeGpu } from './src/gpu/node.ts';
      const lines = [];
      const gpu = await createNodeGpu({ log: (l) => lines.push(l) });
      console.log(JSON.stringify({ lines, swift: gpu.adapter.isSwiftShader }));
      gpu.destroy();
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--import', './scripts/dev.mjs', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.lines[0]).toMatch(/^WebGPU adapter: /);
    // This machine has no GPU: the adapter found must be SwiftShader, and the user is told it is slow.
    expect(out.swift).toBe(true);
    expect(out.lines.join('\n')).toMatch(/SwiftShader emulates a GPU/);
  });

  // SwiftShader emulates bounds checks per access on the CPU, so they are off there by default
  // (src/gpu/node.ts, robustnessOff). The probe reads element 5 of a 4-element binding whose
  // buffer goes on with 5, 6, 7, ...: with checks the index is clamped (4), without it is not (6).
  for (const [setting, expected] of [[undefined, { note: true, value: 6 }], ['on', { note: false, value: 4 }]] as const) {
    it(`shader bounds checks on SwiftShader with BRAINMRI_ROBUSTNESS ${setting ?? 'unset'}: ${expected.note ? 'off' : 'on'}`, () => {
      const env: NodeJS.ProcessEnv = { ...process.env, BRAINMRI_ADAPTER: 'swiftshader' };
      if (setting) env.BRAINMRI_ROBUSTNESS = setting;
      else delete env.BRAINMRI_ROBUSTNESS;
      const script = `
        import { createNodeGpu } from './src/gpu/node.ts';
        const lines = [];
        const gpu = await createNodeGpu({ log: (l) => lines.push(l) });
        const d = gpu.device;
        const src = d.createBuffer({ size: 512, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
        d.queue.writeBuffer(src, 0, Float32Array.from({ length: 128 }, (_, i) => i + 1));
        const out = d.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
        const code = '@group(0) @binding(0) var<storage, read> x: array<f32>; @group(0) @binding(1) var<storage, read_write> y: array<f32>; @compute @workgroup_size(1) fn main() { y[0] = x[5]; }';
        const pipeline = d.createComputePipeline({ layout: 'auto', compute: { module: d.createShaderModule({ code }), entryPoint: 'main' } });
        const bg = d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src, offset: 0, size: 16 } }, { binding: 1, resource: { buffer: out } }] });
        const read = d.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        const enc = d.createCommandEncoder();
        const pass = enc.beginComputePass(); pass.setPipeline(pipeline); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(1); pass.end();
        enc.copyBufferToBuffer(out, 0, read, 0, 4);
        d.queue.submit([enc.finish()]);
        await read.mapAsync(GPUMapMode.READ);
        console.log(JSON.stringify({ lines, value: new Float32Array(read.getMappedRange())[0] }));
        process.exit(0);`;
      const r = spawnSync(process.execPath, ['--import', './scripts/dev.mjs', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(/bounds checks are off/.test(out.lines.join('\n'))).toBe(expected.note);
      expect(out.value).toBe(expected.value);
    });
  }

  it('rejects a BRAINMRI_ROBUSTNESS value it does not know, saying which ones it takes', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, BRAINMRI_ADAPTER: 'swiftshader', BRAINMRI_ROBUSTNESS: 'sometimes' };
    const script = `import { createNodeGpu } from './src/gpu/node.ts'; await createNodeGpu({ log: () => {} });`;
    const r = spawnSync(process.execPath, ['--import', './scripts/dev.mjs', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BRAINMRI_ROBUSTNESS="sometimes" is not one of on, off, auto/);
  });

  it('gives a clear error for an adapter that does not exist', async () => {
    await expect(requestNodeAdapter('no-such-adapter-xyz')).rejects.toThrow(/No WebGPU adapter matches "no-such-adapter-xyz"[\s\S]*What to do/);
  });

  it('asks for the optional features the adapter has', () => {
    expect(gpu().features.has('timestamp-query')).toBe(true); // SwiftShader has it
    expect(gpu().limits.maxWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
  });
});

describe('dispatch', () => {
  it('runs 200,000 workgroups along x and writes every element', async () => {
    const g = gpu();
    const count = 200_000 * 64;
    const buffer = g.acquire(count * 4);
    poison(g, buffer, count);
    g.dispatch(iotaKernel, { uniforms: new Uint32Array([count]), buffers: [buffer], workgroups: 200_000 });
    const out = new Uint32Array(await g.read(buffer, 0, count * 4));
    let wrong = 0;
    for (let i = 0; i < count; i++) if (out[i] !== i * 3 + 1) wrong++;
    expect(wrong).toBe(0);
    g.release(buffer);
  });

  it('poisons with a recognisable NaN and fills f32 values', async () => {
    const g = gpu();
    const t = Tensor.empty(g, [3, 5]);
    poison(g, t.buffer, t.size);
    const bits = new Uint32Array(await g.read(t.buffer, 0, t.byteLength));
    expect([...bits].every((b) => b === POISON_BITS)).toBe(true);
    fill(g, t.buffer, 2.5, t.size);
    expect([...(await t.toArray())]).toEqual(new Array(15).fill(2.5));
    t.release();
  });

  it('surfaces a shader compilation error with the kernel name', async () => {
    const g = gpu();
    const bad: Kernel = { name: 'test.broken', source: 'fn main( {' };
    const b = g.acquire(16);
    g.dispatch(bad, { buffers: [b], workgroups: 1 });
    await expect(g.sync()).rejects.toThrow(/test\.broken/);
    g.release(b);
  });
});

describe('buffer pool and caches', () => {
  it('size classes waste at most 25 %', () => {
    for (const n of [1, 255, 257, 1000, 4096, 5000, 123457, 1 << 24]) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      if (n > 256) expect(c / n).toBeLessThanOrEqual(1.25 + 4 / n);
    }
  });

  // Quiet waits (on in Node for CPU adapters, on for this whole file): while a wait is pending,
  // Dawn's binding polls through a 1-ms timer instead of back-to-back setImmediate callbacks
  // (which take a core from SwiftShader); setImmediate is put back after. pollTicks counts the
  // binding's ticks through the substitute: none would mean the binding no longer looks the
  // global up, and the throttle silently does nothing.
  it('waits quietly: the binding polls about once a millisecond, and setImmediate is put back', async () => {
    const g = gpu();
    const real = globalThis.setImmediate;
    const n = 1 << 22;
    const t = Tensor.empty(g, [n], 'u32');
    const heavy = () => {
      for (let i = 0; i < 3; i++) g.dispatch(iotaKernel, { uniforms: new Uint32Array([n]), buffers: [t.buffer], workgroups: n / 64 });
    };
    for (const wait of ['sync', 'read', 'two steps in flight'] as const) {
      const ticks = g.counters.pollTicks;
      const start = performance.now();
      heavy();
      if (wait === 'sync') await g.sync();
      else if (wait === 'read') expect((await t.toArray())[n - 1]).toBe((n - 1) * 3 + 1);
      else {
        const x = t.subView(0, [4]).readAfterStep();
        g.submit();
        heavy();
        const y = t.subView(0, [4]).readAfterStep();
        g.submit();
        // Other setImmediate callbacks still run during the waits.
        const ran = new Promise<boolean>((resolve) => setImmediate(() => resolve(true)));
        expect([...(await x.result())]).toEqual([1, 4, 7, 10]);
        expect([...(await y.result())]).toEqual([1, 4, 7, 10]);
        expect(await ran).toBe(true);
      }
      const ms = performance.now() - start;
      const polled = g.counters.pollTicks - ticks;
      expect(ms, wait).toBeGreaterThan(5); // long enough for the count to mean something
      expect(polled, `${wait}: ${polled} ticks in ${ms.toFixed(1)} ms`).toBeGreaterThan(0);
      expect(polled, `${wait}: ${polled} ticks in ${ms.toFixed(1)} ms`).toBeLessThanOrEqual(ms + 5);
      expect(globalThis.setImmediate).toBe(real);
    }
    t.release();
  });

  it('reads a step back after the next step has been submitted and has reused its buffer', async () => {
    const g = gpu();
    const a = Tensor.empty(g, [600]);
    fill(g, a.buffer, 5, a.size);
    const first = a.readAfterStep();
    const aBuffer = a.buffer;
    a.release(); // at once: the copy is recorded
    g.submit();
    const b = Tensor.empty(g, [600]);
    expect(b.buffer).toBe(aBuffer); // the pool hands the same buffer back
    fill(g, b.buffer, 9, b.size);
    const second = b.readAfterStep();
    b.release();
    g.submit();
    expect([...(await first.result())].every((v) => v === 5)).toBe(true);
    expect([...(await second.result())].every((v) => v === 9)).toBe(true);
    // Not submitted by the caller: result() submits the step that carries the copy.
    const c = Tensor.empty(g, [3]);
    fill(g, c.buffer, 7, c.size);
    const third = c.readAfterStep();
    c.release();
    expect([...(await third.result())]).toEqual([7, 7, 7]);
  });

  it('reuses buffers across repeated identical steps', async () => {
    const g = gpu();
    const step = async () => {
      const a = Tensor.fromArray(g, [1, 2, 3, 4, 5], [5]);
      const b = Tensor.empty(g, [1000, 3]);
      const c = Tensor.empty(g, [77], 'u32');
      fill(g, b.buffer, 1, b.size);
      g.dispatch(iotaKernel, { uniforms: new Uint32Array([77]), buffers: [c.buffer], workgroups: 2 });
      a.release();
      b.release();
      const out = await c.toArray();
      c.release();
      return out;
    };
    await step();
    const created = g.pool.stats().created;
    const bindGroups = g.counters.bindGroupsCreated;
    for (let i = 0; i < 5; i++) {
      const out = await step();
      expect(out[76]).toBe(76 * 3 + 1);
      expect(g.pool.stats().liveBuffers).toBe(0);
    }
    expect(g.pool.stats().created).toBe(created);
    // The same dispatches on the same pooled buffers reuse their bind groups too.
    expect(g.counters.bindGroupsCreated).toBe(bindGroups);
  });

  it('hands each tensor of a repeated step the same buffer whatever order they were released in', async () => {
    const g = gpu();
    // Three tensors of one size class, released in another order than acquired (as autograd
    // frees a step's intermediates): last-released-first would swap them every step.
    const step = (): GPUBuffer[] => {
      const t = [Tensor.empty(g, [300]), Tensor.empty(g, [300]), Tensor.empty(g, [300])];
      for (const x of t) fill(g, x.buffer, 7, x.size);
      const buffers = t.map((x) => x.buffer);
      t[1]!.release();
      t[2]!.release();
      t[0]!.release();
      g.submit(); // a step ends with its submit (the uniforms' slots start again)
      return buffers;
    };
    step();
    const first = step();
    const bindGroups = g.counters.bindGroupsCreated;
    for (let i = 0; i < 3; i++) step().forEach((b, j) => expect(b, `tensor ${j}`).toBe(first[j]));
    expect(g.counters.bindGroupsCreated).toBe(bindGroups);
    await g.sync();
  });

  it('compiles a pipeline once per distinct shader and constants', () => {
    const g = gpu();
    const src = `override SCALE: u32 = 1u;
      @group(0) @binding(1) var<storage, read_write> out: array<u32>;
      @compute @workgroup_size(1) fn main() { out[0] = SCALE; }`;
    const before = g.pipelineCompileCount;
    const k1: Kernel = { name: 'c', source: src, constants: { SCALE: 2 } };
    const k1again: Kernel = { name: 'c', source: src, constants: { SCALE: 2 } }; // equal, different object
    const k2: Kernel = { name: 'c', source: src, constants: { SCALE: 3 } };
    g.pipeline(k1);
    g.pipeline(k1);
    g.pipeline(k1again);
    expect(g.pipelineCompileCount - before).toBe(1);
    g.pipeline(k2);
    expect(g.pipelineCompileCount - before).toBe(2);
  });

  it('submits once per step however many dispatches it records', async () => {
    const g = gpu();
    await g.sync();
    const before = g.counters.submits;
    const t = Tensor.empty(g, [4096]);
    for (let i = 0; i < 20; i++) fill(g, t.buffer, i, t.size);
    g.submit();
    expect(g.counters.submits - before).toBe(1);
    expect((await t.toArray())[100]).toBe(19);
    t.release();
  });
});

describe('poison mode', () => {
  it('fills every acquired buffer with the NaN pattern, and uploads still win', async () => {
    const g = gpu();
    g.poisonOnAcquire = true;
    try {
      const t = Tensor.empty(g, [33]);
      const bits = new Uint32Array(await g.read(t.buffer, 0, t.byteLength));
      expect([...bits].every((b) => b === POISON_BITS)).toBe(true);
      const u = Tensor.fromArray(g, [1, 2, 3], [3]);
      expect([...(await u.toArray())]).toEqual([1, 2, 3]);
      t.release();
      u.release();
    } finally {
      g.poisonOnAcquire = false;
    }
  });
});
