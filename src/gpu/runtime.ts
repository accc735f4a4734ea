// The GPU runtime: one per device. Owns the buffer pool, the pipeline cache, the command
// recorder (one encoder per logical step), uniforms, readback, profiling and error reporting.
//
// Usage pattern for a step:
//   gpu.dispatch(kernel, {...}); gpu.dispatch(...); ...   // recorded, nothing runs yet
//   gpu.submit();                                          // one submit for the whole step
//   const loss = await gpu.read(lossBuffer);               // optional, async, outside the step
import type { AdapterDescription } from './adapter.js';
import { GpuError } from './errors.js';
import { kernelKey, type Kernel } from './kernel.js';
import { BufferPool, STORAGE_USAGE } from './pool.js';
import { MapMode, Usage } from './usage.js';
import fillSource from '../../shaders/fill.wgsl';

const FILL_KERNEL: Kernel = { name: 'fill', source: fillSource };

export interface GpuOptions {
  /**
   * Caps the bytes one storage binding may cover, below the device's own limit. Tests use it to
   * prove that kernels split work that does not fit one binding.
   */
  maxBindingBytes?: number;
  /** Record a timestamp around every dispatch (needs 'timestamp-query'). */
  profile?: boolean;
  /**
   * Fill every buffer handed out by `acquire` with a NaN pattern (POISON_BITS) before use, so an
   * element a kernel forgot to write shows up in tests. Off by default (costs a pass per buffer).
   */
  poison?: boolean;
  /**
   * Wait quietly: before asking the device whether submitted work is done, sleep for most of the
   * time the same work (same numbers of dispatches and workgroups) took last time. Dawn's Node
   * binding polls for completion on the JavaScript thread without pause while a promise of it is
   * pending, which takes a core from a CPU adapter (SwiftShader) doing the work: a ResNet18 step
   * at 32 px batch 2 went from ~500 to ~420 ms. createNodeGpu turns it on; browsers need not.
   */
  quietWaits?: boolean;
}

/** Fraction of the expected duration slept before polling (the rest absorbs run-to-run noise). */
const QUIET_WAIT_FRACTION = 0.85;

/** NaN with a recognisable payload: an element still holding it was never written. */
export const POISON_BITS = 0x7fc0dead;

/** A storage binding: a whole buffer or a range of one. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface DispatchArgs {
  /** Storage buffers, bound at @binding(1), @binding(2), ... in this order. */
  buffers: readonly Binding[];
  /** Uniform data bound at @binding(0) (packed as the WGSL struct expects), if the kernel has one. */
  uniforms?: ArrayBufferView | ArrayBuffer;
  /**
   * Workgroup counts. A 1-D count above the device's per-dimension limit is folded into (x, y);
   * kernels compute their linear workgroup index as `wid.x + wid.y * nwg.x` and bound-check it.
   */
  workgroups: number | readonly [number, number?, number?];
}

export interface ProfileEntry {
  name: string;
  ms: number;
}

const UNIFORM_CHUNK_BYTES = 64 * 1024;

class UniformChunk {
  readonly data = new Uint8Array(UNIFORM_CHUNK_BYTES);
  used = 0;
  constructor(readonly buffer: GPUBuffer) {}
}

export class Gpu {
  readonly pool: BufferPool;
  readonly limits: {
    maxBindingBytes: number;
    maxBufferSize: number;
    maxWorkgroupsPerDimension: number;
    maxWorkgroupStorageBytes: number;
    maxInvocationsPerWorkgroup: number;
    maxStorageBuffersPerStage: number;
    uniformAlign: number;
  };
  readonly features: ReadonlySet<string>;
  /**
   * Lanes per subgroup when the device has the `subgroups` feature and the adapter reports one
   * fixed size (SwiftShader: 4, its SIMD width); 0 otherwise. Kernels that hard-code a lane count
   * check this before using subgroup operations.
   */
  readonly subgroupSize: number;

  // Pipeline cache: by kernel object first, then by the text the kernel holds.
  private readonly pipelineByKernel = new WeakMap<Kernel, GPUComputePipeline>();
  private readonly pipelineByKey = new Map<string, GPUComputePipeline>();
  private readonly pipelineIds = new WeakMap<GPUComputePipeline, number>();
  private pipelineCompiles = 0;

  // Bind groups are cached by (pipeline, buffers, uniform slot): a step that repeats the same
  // dispatches on the same pooled buffers re-creates none.
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bindGroupKeysByBuffer = new Map<GPUBuffer, string[]>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;

  private readonly uniformChunks: UniformChunk[] = [];
  private uniformChunkIndex = 0;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly usedInEncoder = new Set<GPUBuffer>();
  private readonly pendingErrors: Promise<GPUError | null>[] = [];
  private readonly uncaptured: string[] = [];
  private lostMessage: string | null = null;

  private readonly stagingFree: GPUBuffer[] = [];

  private querySet: GPUQuerySet | null = null;
  private queryResolve: GPUBuffer | null = null;
  private queryNames: string[] = [];
  private readonly queryCapacity = 4096;
  private profileResults: Promise<ProfileEntry[]>[] = [];
  private profiling: boolean;

  /** Counters for benchmarks and tests. */
  readonly counters = { dispatches: 0, submits: 0, bindGroupsCreated: 0, readbacks: 0, quietSleeps: 0 };

  // Quiet waits (GpuOptions.quietWaits): work submitted since the last wait, when it started, and
  // how long work of the same size took to finish before.
  private readonly quietWaits: boolean;
  private pendingSince = 0;
  private pendingDispatches = 0;
  private pendingWorkgroups = 0;
  private dispatchesAtLastSubmit = 0;
  private workgroupsSinceSubmit = 0;
  private readonly waitEstimates = new Map<string, number>();

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    options: GpuOptions = {},
  ) {
    const l = device.limits;
    this.limits = {
      maxBindingBytes: Math.min(l.maxStorageBufferBindingSize, options.maxBindingBytes ?? Infinity),
      maxBufferSize: l.maxBufferSize,
      maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
      maxInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerStage: l.maxStorageBuffersPerShaderStage,
      uniformAlign: l.minUniformBufferOffsetAlignment,
    };
    this.features = new Set([...device.features].map(String));
    const { subgroupMinSize: sgMin = 0, subgroupMaxSize: sgMax = 0 } = adapter;
    this.subgroupSize = this.features.has('subgroups') && sgMin > 0 && sgMin === sgMax ? sgMin : 0;
    this.pool = new BufferPool(device, l.maxBufferSize);
    this.pool.onDestroy = (buffer) => this.forgetBindGroups(buffer);
    this.profiling = !!options.profile && this.features.has('timestamp-query');
    this.poisonOnAcquire = !!options.poison;
    this.quietWaits = !!options.quietWaits;
    device.lost.then((info) => {
      this.lostMessage = `${info.reason}: ${info.message}`;
    });
    device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      this.uncaptured.push(event.error.message);
    };
  }

  get hasTimestamps(): boolean {
    return this.features.has('timestamp-query');
  }

  /** Starts or stops per-dispatch GPU timestamps. Returns false when the adapter has none. */
  setProfiling(on: boolean): boolean {
    this.profiling = on && this.hasTimestamps;
    return this.profiling;
  }

  get pipelineCompileCount(): number {
    return this.pipelineCompiles;
  }

  // ---------------------------------------------------------------- buffers

  /** A pooled storage buffer of at least `bytes` bytes. Give it back with `release`. */
  acquire(bytes: number, label?: string): GPUBuffer {
    const buffer = this.pool.acquire(bytes, STORAGE_USAGE, label);
    if (this.poisonOnAcquire) this.fillWords(buffer, POISON_BITS);
    return buffer;
  }

  /** Whether `acquire` poisons buffers (see GpuOptions.poison). Tests may toggle it. */
  poisonOnAcquire: boolean;

  /** Records a fill of `count` 32-bit words of `buffer` (from byte `offset`) with `bits`. */
  fillWords(buffer: GPUBuffer, bits: number, count = buffer.size / 4, offset = 0): void {
    if (bits === 0 && count > 0) {
      // Zeros: the encoder's clear (a memset on SwiftShader, 2.36 M words in ~1 ms against 17 ms
      // for the fill kernel), between compute passes like a copy.
      this.checkAlive();
      const encoder = this.openEncoder();
      this.endPass();
      encoder.clearBuffer(buffer, offset, count * 4);
      this.usedInEncoder.add(buffer);
      return;
    }
    // Split so no binding exceeds the storage binding limit; 256-word steps keep offsets aligned.
    const maxWords = Math.floor(this.limits.maxBindingBytes / 4 / 256) * 256;
    for (let start = 0; start < count; start += maxWords) {
      const n = Math.min(maxWords, count - start);
      this.dispatch(FILL_KERNEL, {
        uniforms: new Uint32Array([n, bits >>> 0]),
        buffers: [{ buffer, offset: offset + start * 4, size: n * 4 }],
        workgroups: Math.ceil(n / 256),
      });
    }
  }

  release(buffer: GPUBuffer): void {
    this.pool.release(buffer);
  }

  /**
   * Writes `data` into `buffer`. Queue writes run before any command still being recorded, so if
   * the buffer is used by the open step, the step is submitted first to keep program order.
   */
  write(buffer: GPUBuffer, data: ArrayBufferView | ArrayBuffer, offset = 0): void {
    this.checkAlive();
    if (this.usedInEncoder.has(buffer)) this.submit();
    const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // writeBuffer needs a multiple of 4 bytes.
    if (view.byteLength % 4 !== 0) {
      const padded = new Uint8Array(Math.ceil(view.byteLength / 4) * 4);
      padded.set(view);
      this.device.queue.writeBuffer(buffer, offset, padded);
    } else {
      this.device.queue.writeBuffer(buffer, offset, view as Uint8Array<ArrayBuffer>);
    }
  }

  // ---------------------------------------------------------------- pipelines

  pipeline(kernel: Kernel): GPUComputePipeline {
    let pipeline = this.pipelineByKernel.get(kernel);
    if (pipeline) return pipeline;
    const key = kernelKey(kernel);
    pipeline = this.pipelineByKey.get(key);
    if (!pipeline) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: kernel.source, label: kernel.name });
      pipeline = this.device.createComputePipeline({
        label: kernel.name,
        layout: 'auto',
        compute: { module, entryPoint: kernel.entryPoint ?? 'main', constants: kernel.constants as Record<string, number> },
      });
      const name = kernel.name;
      this.pendingErrors.push(
        this.device.popErrorScope().then(async (error) => {
          if (!error) return null;
          const info = await module.getCompilationInfo().catch(() => null);
          const detail = info?.messages.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join('\n');
          return new GPUValidationErrorLike(`kernel ${name} failed to compile: ${error.message}${detail ? '\n' + detail : ''}`);
        }),
      );
      this.pipelineByKey.set(key, pipeline);
      this.pipelineIds.set(pipeline, this.pipelineByKey.size);
      this.pipelineCompiles++;
    }
    this.pipelineByKernel.set(kernel, pipeline);
    return pipeline;
  }

  // ---------------------------------------------------------------- recording

  /** Records one dispatch into the open step. Nothing runs until `submit`. */
  dispatch(kernel: Kernel, args: DispatchArgs): void {
    this.checkAlive();
    const pipeline = this.pipeline(kernel);
    const [x, y, z] = this.foldWorkgroups(kernel, args.workgroups);
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.bindGroupFor(pipeline, kernel, args);
    const encoder = this.openEncoder();
    let pass: GPUComputePassEncoder;
    let queryIndex = -1;
    if (this.profiling) {
      this.endPass();
      queryIndex = this.reserveQuery(kernel.name);
      pass = encoder.beginComputePass({
        timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: queryIndex, endOfPassWriteIndex: queryIndex + 1 },
      });
    } else {
      pass = this.pass ??= encoder.beginComputePass();
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiling) pass.end();
    this.counters.dispatches++;
    this.workgroupsSinceSubmit += x * y * z;
  }

  /** Records a buffer-to-buffer copy into the open step. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive();
    const encoder = this.openEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.usedInEncoder.add(src);
    this.usedInEncoder.add(dst);
  }

  /** Ends the step: uploads its uniforms and submits its one command buffer. */
  submit(): void {
    this.checkAlive();
    if (!this.encoder) return;
    this.endPass();
    const queue = this.device.queue;
    for (let i = 0; i < this.uniformChunkIndex + 1 && i < this.uniformChunks.length; i++) {
      const chunk = this.uniformChunks[i]!;
      if (chunk.used > 0) queue.writeBuffer(chunk.buffer, 0, chunk.data, 0, chunk.used);
      chunk.used = 0;
    }
    this.uniformChunkIndex = 0;
    const readTimestamps = this.querySet && this.queryNames.length > 0 ? this.resolveQueries(this.encoder) : null;
    this.device.pushErrorScope('validation');
    queue.submit([this.encoder.finish()]);
    if (this.pendingDispatches === 0 && this.pendingSince === 0) this.pendingSince = performance.now();
    this.pendingDispatches += this.counters.dispatches - this.dispatchesAtLastSubmit;
    this.pendingWorkgroups += this.workgroupsSinceSubmit;
    this.dispatchesAtLastSubmit = this.counters.dispatches;
    this.workgroupsSinceSubmit = 0;
    // Mapping must start after the submit that writes the staging buffer (a buffer pending a map
    // may not be used in a submit).
    if (readTimestamps) this.profileResults.push(readTimestamps());
    this.pendingErrors.push(this.device.popErrorScope().then((e) => (e ? new GPUValidationErrorLike(e.message) : null)));
    this.encoder = null;
    this.usedInEncoder.clear();
    this.counters.submits++;
  }

  /** Submits what is recorded and waits until the GPU has finished it; throws any GPU error seen. */
  async sync(): Promise<void> {
    this.submit();
    const waited = await this.beforeWait();
    await this.device.queue.onSubmittedWorkDone();
    this.afterWait(waited);
    await this.throwPendingErrors();
  }

  /** With quiet waits: sleeps for most of the time work of this size (dispatches and workgroups) took before. */
  private async beforeWait(): Promise<{ size: string; slept: boolean; polledAt: number }> {
    const size = this.pendingDispatches > 0 ? `${this.pendingDispatches}:${this.pendingWorkgroups}` : '';
    let slept = false;
    if (this.quietWaits && size !== '') {
      const expected = this.waitEstimates.get(size);
      const remaining = expected === undefined ? 0 : QUIET_WAIT_FRACTION * expected - (performance.now() - this.pendingSince);
      if (remaining > 2) {
        this.counters.quietSleeps++;
        slept = true;
        await new Promise((resolve) => setTimeout(resolve, remaining));
      }
    }
    return { size, slept, polledAt: performance.now() };
  }

  /**
   * Records how long the work just waited for took, from its first submit. After a sleep that
   * found the work already done (it may have overslept) the estimate shrinks by a fifth; otherwise
   * it follows a faster run at once and a slower one by at most 5 % per wait, so one slow outlier
   * (a busy machine, a first run) cannot make later waits oversleep for long.
   */
  private afterWait(w: { size: string; slept: boolean; polledAt: number }): void {
    if (w.size !== '' && this.pendingSince > 0) {
      const now = performance.now();
      const before = this.waitEstimates.get(w.size);
      let next = now - this.pendingSince;
      if (before !== undefined) next = w.slept && now - w.polledAt < 1 ? before * 0.8 : Math.min(next, before * 1.05);
      this.waitEstimates.set(w.size, next);
    }
    this.pendingDispatches = 0;
    this.pendingWorkgroups = 0;
    this.pendingSince = 0;
  }

  /** Copies `bytes` of `buffer` back to the CPU (submitting the open step). */
  async read(buffer: GPUBuffer, offset = 0, bytes = buffer.size - offset): Promise<ArrayBuffer> {
    this.checkAlive();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.acquireStaging(size);
    const encoder = this.openEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.submit();
    this.counters.readbacks++;
    const waited = await this.beforeWait();
    try {
      await staging.mapAsync(MapMode.READ, 0, size);
      this.afterWait(waited);
    } catch (err) {
      this.afterWait({ ...waited, size: '' }); // a failed wait measures nothing; only reset
      this.checkAlive();
      await this.throwPendingErrors();
      throw err;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.stagingFree.push(staging);
    await this.throwPendingErrors();
    return out;
  }

  async readF32(buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, offset, count * 4));
  }

  /** Timestamps recorded since the last call (empty when profiling is off or unsupported). */
  async takeProfile(): Promise<ProfileEntry[]> {
    this.submit();
    const results = await Promise.all(this.profileResults);
    this.profileResults = [];
    return results.flat();
  }

  /** Throws the first GPU validation or compilation error reported so far. */
  async throwPendingErrors(): Promise<void> {
    const pending = this.pendingErrors.splice(0);
    const errors = (await Promise.all(pending)).filter((e): e is GPUValidationErrorLike => e !== null);
    const messages = [...errors.map((e) => e.message), ...this.uncaptured.splice(0)];
    if (messages.length > 0) throw new GpuError(`GPU error: ${messages.join('\n')}`);
    this.checkAlive();
  }

  destroy(): void {
    if (this.encoder) this.submit();
    this.pool.trim();
    for (const chunk of this.uniformChunks) chunk.buffer.destroy();
    for (const s of this.stagingFree) s.destroy();
    this.querySet?.destroy();
    this.queryResolve?.destroy();
    this.device.destroy();
  }

  // ---------------------------------------------------------------- internals

  private checkAlive(): void {
    if (this.lostMessage !== null) {
      throw new GpuError(
        `The GPU device was lost (${this.lostMessage}).`,
        'the driver reset or the work was too large; restart the program, and lower --batch or --res if it happens again.',
      );
    }
  }

  private openEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private foldWorkgroups(kernel: Kernel, workgroups: DispatchArgs['workgroups']): [number, number, number] {
    const max = this.limits.maxWorkgroupsPerDimension;
    let [x, y = 1, z = 1] = typeof workgroups === 'number' ? [workgroups] : workgroups;
    if (x > max && y === 1 && z === 1) {
      y = Math.ceil(x / max);
      x = Math.ceil(x / y);
    }
    if (x > max || y > max || z > max) {
      throw new RangeError(
        `kernel ${kernel.name}: dispatch (${x}, ${y}, ${z}) exceeds ${max} workgroups per dimension; the kernel's wrapper must split it`,
      );
    }
    return [x, y, z];
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  private bindGroupFor(pipeline: GPUComputePipeline, kernel: Kernel, args: DispatchArgs): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    let key = `${this.pipelineIds.get(pipeline)}`;
    if (args.uniforms) {
      const { buffer, offset, size } = this.pushUniforms(args.uniforms);
      entries.push({ binding: 0, resource: { buffer, offset, size } });
      key += `|u${this.bufferId(buffer)}@${offset}:${size}`;
    }
    const buffers: GPUBuffer[] = [];
    args.buffers.forEach((binding, i) => {
      const b = 'buffer' in binding ? binding : { buffer: binding };
      const buffer = b.buffer;
      const offset = b.offset ?? 0;
      const size = b.size ?? buffer.size - offset;
      if (size > this.limits.maxBindingBytes) {
        throw new RangeError(
          `kernel ${kernel.name}: binding ${i + 1} covers ${size} bytes, over the ${this.limits.maxBindingBytes}-byte storage binding limit; the kernel's wrapper must split it`,
        );
      }
      entries.push({ binding: i + 1, resource: { buffer, offset, size } });
      key += `|${this.bufferId(buffer)}@${offset}:${size}`;
      buffers.push(buffer);
      this.usedInEncoder.add(buffer);
    });
    let group = this.bindGroups.get(key);
    if (!group) {
      group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: kernel.name });
      this.counters.bindGroupsCreated++;
      if (this.bindGroups.size > 50_000) this.clearBindGroups();
      this.bindGroups.set(key, group);
      for (const buffer of buffers) {
        let keys = this.bindGroupKeysByBuffer.get(buffer);
        if (!keys) this.bindGroupKeysByBuffer.set(buffer, (keys = []));
        keys.push(key);
      }
    }
    return group;
  }

  private forgetBindGroups(buffer: GPUBuffer): void {
    for (const key of this.bindGroupKeysByBuffer.get(buffer) ?? []) this.bindGroups.delete(key);
    this.bindGroupKeysByBuffer.delete(buffer);
  }

  private clearBindGroups(): void {
    this.bindGroups.clear();
    this.bindGroupKeysByBuffer.clear();
  }

  private pushUniforms(data: ArrayBufferView | ArrayBuffer): { buffer: GPUBuffer; offset: number; size: number } {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    if (size > UNIFORM_CHUNK_BYTES) throw new RangeError(`uniform block of ${size} bytes is too large`);
    let chunk = this.uniformChunks[this.uniformChunkIndex];
    if (chunk && chunk.used + size > UNIFORM_CHUNK_BYTES) {
      this.uniformChunkIndex++;
      chunk = this.uniformChunks[this.uniformChunkIndex];
    }
    if (!chunk) {
      const buffer = this.device.createBuffer({ size: UNIFORM_CHUNK_BYTES, usage: Usage.UNIFORM | Usage.COPY_DST, label: 'uniforms' });
      chunk = new UniformChunk(buffer);
      this.uniformChunks[this.uniformChunkIndex] = chunk;
    }
    const offset = chunk.used;
    chunk.data.fill(0, offset, offset + size);
    chunk.data.set(bytes, offset);
    chunk.used = Math.ceil((offset + size) / this.limits.uniformAlign) * this.limits.uniformAlign;
    return { buffer: chunk.buffer, offset, size };
  }

  private acquireStaging(size: number): GPUBuffer {
    const i = this.stagingFree.findIndex((b) => b.size >= size && b.size <= size * 4);
    if (i >= 0) return this.stagingFree.splice(i, 1)[0]!;
    return this.device.createBuffer({ size, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'readback' });
  }

  private reserveQuery(name: string): number {
    if (!this.querySet) {
      this.querySet = this.device.createQuerySet({ type: 'timestamp', count: this.queryCapacity });
      this.queryResolve = this.device.createBuffer({
        size: this.queryCapacity * 8,
        usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC,
      });
    }
    if ((this.queryNames.length + 1) * 2 > this.queryCapacity) {
      // Full: close this step here so its timestamps are resolved, then continue in a new one.
      this.submit();
    }
    const index = this.queryNames.length * 2;
    this.queryNames.push(name);
    return index;
  }

  /** Records the resolve of this step's timestamps; the returned function reads them once submitted. */
  private resolveQueries(encoder: GPUCommandEncoder): () => Promise<ProfileEntry[]> {
    const count = this.queryNames.length * 2;
    const names = this.queryNames;
    this.queryNames = [];
    encoder.resolveQuerySet(this.querySet!, 0, count, this.queryResolve!, 0);
    const staging = this.device.createBuffer({ size: count * 8, usage: Usage.MAP_READ | Usage.COPY_DST });
    encoder.copyBufferToBuffer(this.queryResolve!, 0, staging, 0, count * 8);
    return async () => {
      await staging.mapAsync(MapMode.READ);
      const t = new BigInt64Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return names.map((name, i) => ({ name, ms: Number(t[2 * i + 1]! - t[2 * i]!) / 1e6 }));
    };
  }
}

class GPUValidationErrorLike {
  constructor(readonly message: string) {}
}
