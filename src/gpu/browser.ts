// Browser entry to WebGPU: navigator.gpu, the adapter's description, a device with the adapter's
// maximum limits, and the runtime. The page calls this and nothing else to get a GPU.
import { describeAdapter, requestFullDevice, type AdapterDescription } from './adapter.js';
import { GpuError } from './errors.js';
import { Gpu, type GpuOptions } from './runtime.js';

/** Why a browser has no WebGPU, in words a user can act on. */
export const NO_WEBGPU_HINT =
  'use a browser with WebGPU enabled: Chrome or Edge 113+, Safari 26+, or Firefox 141+ on Windows; ' +
  'on Linux, Chrome needs chrome://flags/#enable-unsafe-webgpu (and Vulkan), or start Chromium with ' +
  '--enable-unsafe-webgpu --enable-features=Vulkan. The page must be served from localhost or https.';

export interface BrowserGpuOptions extends GpuOptions {
  /** 'high-performance' (default) or 'low-power'. */
  powerPreference?: GPUPowerPreference;
  /** Where the browser's GPU object is looked for (tests pass a fake; default navigator.gpu). */
  gpu?: GPU | undefined;
}

/** True when this browser exposes WebGPU at all (it may still give no adapter). */
export function hasWebGpu(nav: { gpu?: GPU } | undefined = globalThis.navigator as { gpu?: GPU } | undefined): boolean {
  return !!nav && typeof nav.gpu?.requestAdapter === 'function';
}

/** The adapter, or a GpuError explaining why there is none. */
export async function requestBrowserAdapter(options: BrowserGpuOptions = {}): Promise<GPUAdapter> {
  const gpu = options.gpu ?? (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu || typeof gpu.requestAdapter !== 'function') {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    const why = secure === false ? 'This page is not in a secure context (http from a host other than localhost), so the browser hides WebGPU.' : 'This browser does not offer WebGPU (navigator.gpu is missing).';
    throw new GpuError(why, NO_WEBGPU_HINT);
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (err) {
    throw new GpuError(`The browser refused a WebGPU adapter: ${(err as Error).message}`, NO_WEBGPU_HINT);
  }
  if (!adapter) {
    throw new GpuError('The browser offers WebGPU but gave no adapter (the GPU may be blocklisted or WebGPU disabled).', NO_WEBGPU_HINT);
  }
  return adapter;
}

export interface BrowserGpu {
  gpu: Gpu;
  adapter: AdapterDescription;
}

/** The one way page code gets a GPU: adapter, device with maximum limits, and the runtime. */
export async function createBrowserGpu(options: BrowserGpuOptions = {}): Promise<BrowserGpu> {
  const adapter = await requestBrowserAdapter(options);
  const info = describeAdapter(adapter);
  const device = await requestFullDevice(adapter);
  return { gpu: new Gpu(device, info, options), adapter: info };
}
