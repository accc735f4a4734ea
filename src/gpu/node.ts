// Node entry to WebGPU: Dawn through the `webgpu` package, with SwiftShader as the fallback.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAdapter, requestFullDevice } from './adapter.js';
import { GpuError } from './errors.js';
import { Gpu, type GpuOptions } from './runtime.js';

/** Where Debian's `chromium` package puts SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD_CANDIDATES = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

export interface NodeGpuOptions extends GpuOptions {
  /**
   * Which adapter: 'auto' (default: a real GPU, else SwiftShader), 'swiftshader', 'gpu' (never
   * SwiftShader), or a substring of the adapter's name as Dawn lists it. Also read from the
   * BRAINMRI_ADAPTER environment variable.
   */
  adapter?: string;
  /** Where the "using adapter ..." line goes; pass () => {} to silence it. */
  log?: (line: string) => void;
}

/**
 * Shader bounds checks ("robustness": every storage index clamped by the compiler, every access
 * masked by the driver). WebGPU keeps them on so that a page cannot read outside its buffers.
 * Here every shader is this project's own, tested with poisoned buffers, and no index comes from
 * file contents unchecked (labels are validated before upload and clamped again in softmax_ce), so
 * on SwiftShader, where the checks are emulated per access on the CPU, they are off by default:
 * the ResNet18 train step at 64 px, batch 8 went from 6.5 s to 4.5 s. BRAINMRI_ROBUSTNESS=on
 * keeps them everywhere, =off drops them on every adapter, =auto (default) drops them on
 * SwiftShader only. Browsers always keep them.
 */
export function robustnessOff(isSwiftShader: boolean): boolean {
  const want = (process.env.BRAINMRI_ROBUSTNESS ?? 'auto').trim().toLowerCase();
  if (want === 'on') return false;
  if (want === 'off') return true;
  if (want !== 'auto' && want !== '') {
    throw new GpuError(`BRAINMRI_ROBUSTNESS="${process.env.BRAINMRI_ROBUSTNESS}" is not one of on, off, auto.`, 'set it to on, off or auto (the default), or unset it.');
  }
  return isSwiftShader;
}

const NO_ROBUSTNESS = 'enable-dawn-features=disable_robustness';
/** Adapters from an instance without bounds checks (so createNodeGpu can say so). */
const noRobustnessAdapters = new WeakSet<GPUAdapter>();

/**
 * True when this Linux machine shows no GPU device node at all (no /dev/dri render node, no
 * /dev/nvidia*, no WSL /dev/dxg). Then only CPU drivers could answer (Mesa's lavapipe, which Dawn
 * rejects with a warning), so SwiftShader is tried first.
 */
function noGpuDeviceNodes(): boolean {
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return false;
  const has = (dir: string, test: (f: string) => boolean): boolean => {
    try {
      return readdirSync(dir).some(test);
    } catch {
      return false;
    }
  };
  return !has('/dev/dri', (f) => f.startsWith('renderD')) && !has('/dev', (f) => f.startsWith('nvidia') || f === 'dxg');
}

export function findSwiftShaderIcd(): string | undefined {
  return SWIFTSHADER_ICD_CANDIDATES.find((p) => existsSync(p));
}

const NO_ADAPTER_HINT =
  'install a GPU driver with Vulkan support, or the CPU fallback SwiftShader: on Debian/Ubuntu ' +
  '`sudo apt-get install -y chromium libvulkan1` (chromium ships /usr/lib/chromium/vk_swiftshader_icd.json, ' +
  'which this tool finds by itself; libvulkan1 is the Vulkan loader Dawn opens).';

type DawnModule = { create: (flags: string[]) => GPU; globals: Record<string, unknown> };

let dawn: DawnModule | undefined;
async function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    try {
      dawn = (await import('webgpu')) as unknown as DawnModule;
    } catch (err) {
      throw new GpuError(
        `Could not load Dawn's Node binding (npm package "webgpu"): ${(err as Error).message}`,
        'run `npm ci` in the project folder; Dawn ships prebuilt for linux-x64, darwin and win32.',
      );
    }
    Object.assign(globalThis, dawn.globals);
  }
  return dawn;
}

// Dawn instances must outlive every adapter and device made from them: if the GPU object is
// garbage-collected, Dawn tears down the instance under a live device and crashes in its event
// loop (seen as random aborts in onSubmittedWorkDone). So every instance created is kept here.
const liveInstances: GPU[] = [];

async function tryAdapter(flags: string[]): Promise<GPUAdapter | null> {
  const { create } = await loadDawn();
  try {
    const gpu = create(flags);
    liveInstances.push(gpu);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return null;
    const off = flags.includes(NO_ROBUSTNESS);
    if (!off && robustnessOff(describeAdapter(adapter).isSwiftShader)) {
      // The toggle belongs to the instance: ask again from one that has it.
      const again = await tryAdapter([...flags, NO_ROBUSTNESS]);
      if (again) return again;
    }
    if (off) noRobustnessAdapters.add(adapter);
    return adapter;
  } catch (err) {
    if (err instanceof GpuError) throw err;
    return null;
  }
}

/** Finds an adapter following `choice`; throws a GpuError that says what to do when none fits. */
export async function requestNodeAdapter(choice = 'auto'): Promise<GPUAdapter> {
  // The Vulkan loader prints errors without a runtime dir; give it a private one.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'brainmri-xdg-'));
  const want = choice.trim().toLowerCase();
  const icd = findSwiftShaderIcd();
  const useSwiftShader = (): Promise<GPUAdapter | null> => {
    if (!icd) return Promise.resolve(null);
    process.env.VK_ICD_FILENAMES = icd;
    process.env.VK_DRIVER_FILES = icd;
    return tryAdapter(['backend=vulkan']);
  };

  if (want === 'swiftshader') {
    const adapter = await useSwiftShader();
    if (adapter) return adapter;
    throw new GpuError('SwiftShader was asked for (adapter "swiftshader") but is not installed.', NO_ADAPTER_HINT);
  }
  if (want === 'auto' && icd && noGpuDeviceNodes()) {
    const adapter = await useSwiftShader();
    if (adapter) return adapter;
  }
  if (want === 'auto' || want === 'gpu' || want === '') {
    const adapter = await tryAdapter([]);
    if (adapter && !(want === 'gpu' && describeAdapter(adapter).isSwiftShader)) return adapter;
    if (want === 'auto') {
      const fallback = await useSwiftShader();
      if (fallback) return fallback;
    }
    throw new GpuError(
      want === 'gpu' ? 'No hardware WebGPU adapter was found (adapter "gpu").' : 'No WebGPU adapter was found.',
      NO_ADAPTER_HINT,
    );
  }
  // A name: Dawn's own `adapter=` flag matches a substring of the adapter's name.
  const named = await tryAdapter([`adapter=${choice}`]);
  if (named) return named;
  throw new GpuError(
    `No WebGPU adapter matches "${choice}".`,
    'use BRAINMRI_ADAPTER=auto, gpu, swiftshader, or part of an adapter name listed by `npx brainmri adapters`.',
  );
}

/** The one way Node code gets a GPU: adapter, device with maximum limits, and the runtime. */
export async function createNodeGpu(options: NodeGpuOptions = {}): Promise<Gpu> {
  const choice = options.adapter ?? process.env.BRAINMRI_ADAPTER ?? 'auto';
  const adapter = await requestNodeAdapter(choice);
  const info = describeAdapter(adapter);
  const log = options.log ?? ((line: string) => console.error(line));
  log(`WebGPU adapter: ${info.label}`);
  if (info.isSwiftShader) {
    log('  note: SwiftShader emulates a GPU on the CPU; expect it to be orders of magnitude slower than a real GPU.');
  }
  if (noRobustnessAdapters.has(adapter)) log('  note: shader bounds checks are off for speed (BRAINMRI_ROBUSTNESS=on keeps them).');
  const device = await requestFullDevice(adapter);
  // Quiet waits where the device is the CPU: the binding's busy polling would take a core from it.
  return new Gpu(device, info, { quietWaits: info.isSwiftShader, ...options });
}
