// The GPU runtime: one per device. Owns the buffer pool, the pipeline cache, the command
// recorder (one encoder per logical step), uniforms, readback, profiling and error reporting.
//
// Usage pattern for a step:
//   gpu.dispatch(kernel, {...}); gpu.dispatch(...); ...   // recorded, nothing runs yet
//   gpu.submit();                                          // one submit for the whole step
//   const loss = await gpu.read(lossBuffer);               // optional, async, outside the step
// or, to keep the device busy (record the next step while this one runs):
//   const loss = gpu.readAfterStep(lossBuffer);            // the copy ends this step's work
//   gpu.submit();  ...record and submit the next step...  ;  await loss.result();
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
   * Wait quietly: while waiting for the device, slow the completion polling of Dawn's Node binding
   * to one tick per millisecond. The binding polls on the JavaScript thread with back-to-back
   * `setImmediate` callbacks while a promise of it is pending, which takes a whole core from a
   * CPU adapter (SwiftShader) doing the work; it looks `globalThis.setImmediate` up at every
   * tick, so for the duration of a wait that name holds a 1-ms timer instead (other code's
   * `setImmediate` callbacks run up to 1 ms later meanwhile). createNodeGpu turns it on for CPU
   * adapters; browsers need not.
   */
  quietWaits?: boolean;
  /**
   * Winograd F(2x2, 3x3) for every 3x3 stride-1 conv of the register variant (true) or for none
   * (false), instead of where it pays (unset; see conv2d.ts `viaWinograd`). Tests use it to run a
   * whole network through either algorithm; a conv's own Conv2dOptions.winograd comes first.
   */
  winograd?: boolean;
  /**
   * The conv2d GEMM engine for this device instead of the adapter's default ('registers' on
   * SwiftShader, 'tiled' elsewhere); the bench's --conv-variant. A conv's own Conv2dOptions.variant
   * comes first. (A string here: src/kernels/conv2d.ts checks it against CONV2D_VARIANTS.)
   */
  conv2dVariant?: string;
}

// Quiet waits in progress (of any Gpu in this process), the setImmediate they replaced, and the
// binding's ticks through the substitute.
let quietDepth = 0;
let realSetImmediate: typeof globalThis.setImmediate | null = null;
let quietTicks = 0;

function slowSetImmediate(callback: (...args: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate {
  quietTicks++;
  return setTimeout(callback, 1, ...args) as unknown as NodeJS.Immediate;
}

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
  readonly counters = { dispatches: 0, submits: 0, bindGroupsCreated: 0, readbacks: 0, pollTicks: 0, copies: 0 };

  private readonly quietWaits: boolean;
  /** GpuOptions.winograd: the conv algorithm forced for this device's 3x3 stride-1 convs, if any. */
  readonly winograd: boolean | undefined;
  /** GpuOptions.conv2dVariant: the conv2d engine forced for this device, if any. */
  readonly conv2dVariant: string | undefined;
  /** Submits made so far (readAfterStep tells from it whether its step has been submitted). */
  private submitSerial = 0;

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
    this.winograd = options.winograd;
    this.conv2dVariant = options.conv2dVariant;
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
  }

  /** Records a buffer-to-buffer copy into the open step. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive();
    const encoder = this.openEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.counters.copies++;
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
    this.submitSerial++;
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
    await this.waitFor(() => this.device.queue.onSubmittedWorkDone());
    await this.throwPendingErrors();
  }

  /**
   * Runs `start` (which begins a wait on the device) and awaits it, with quiet waits: the binding's
   * polling throttled while it is pending (see GpuOptions.quietWaits).
   */
  private async waitFor<T>(start: () => Promise<T>): Promise<T> {
    if (!this.quietWaits) return start();
    if (quietDepth++ === 0) {
      const real = (realSetImmediate = globalThis.setImmediate);
      globalThis.setImmediate = Object.assign(slowSetImmediate, { __promisify__: real.__promisify__ }) as typeof globalThis.setImmediate;
    }
    const ticks = quietTicks;
    try {
      return await start();
    } finally {
      this.counters.pollTicks += quietTicks - ticks;
      if (--quietDepth === 0 && realSetImmediate) {
        globalThis.setImmediate = realSetImmediate;
        realSetImmediate = null;
      }
    }
  }

  /** Copies `bytes` of `buffer` back to the CPU (submitting the open step). */
  async read(buffer: GPUBuffer, offset = 0, bytes = buffer.size - offset): Promise<ArrayBuffer> {
    const pending = this.readAfterStep(buffer, offset, bytes);
    this.submit();
    return pending.result();
  }

  /**
   * Records a copy of `bytes` of `buffer` at the end of the open step, without submitting it: the
   * step's own submit carries it. `result()` (after that submit, which it makes if it has not
   * been made) waits for that step only, not for work submitted after it, so the next step can be
   * recorded and submitted while this one runs and the device never waits for the CPU.
   */
  readAfterStep(buffer: GPUBuffer, offset = 0, bytes = buffer.size - offset): PendingRead {
    this.checkAlive();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.acquireStaging(size);
    const encoder = this.openEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.usedInEncoder.add(buffer);
    this.counters.readbacks++;
    const serial = this.submitSerial + 1; // the serial of the submit that will carry the copy
    let result: Promise<ArrayBuffer> | null = null;
    return {
      result: () => {
        if (this.encoder && this.submitSerial < serial) this.submit();
        return (result ??= this.mapStaging(staging, size, bytes));
      },
    };
  }

  /**
   * Maps a submitted staging buffer and returns its first `bytes`. The map waits only for the
   * work that writes the buffer, not for later submits (Dawn maps at the buffer's last use).
   */
  private async mapStaging(staging: GPUBuffer, size: number, bytes: number): Promise<ArrayBuffer> {
    try {
      await this.waitFor(() => staging.mapAsync(MapMode.READ, 0, size));
    } catch (err) {
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
      await this.waitFor(() => staging.mapAsync(MapMode.READ));
      const t = new BigInt64Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return names.map((name, i) => ({ name, ms: Number(t[2 * i + 1]! - t[2 * i]!) / 1e6 }));
    };
  }
}

/** A readback recorded into a step (Gpu.readAfterStep). */
export interface PendingRead {
  /** The bytes, once the step that copies them has run. Call it after submitting that step (or it submits it). */
  result(): Promise<ArrayBuffer>;
}

class GPUValidationErrorLike {
  constructor(readonly message: string) {}
}
