// Adapter description and device creation shared by Node and the browser.
import { GpuError } from './errors.js';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for SwiftShader (a CPU emulation of a GPU): kernels pick their CPU-friendly variants. */
  isSwiftShader: boolean;
  /** Subgroup sizes the adapter reports (0 when it reports none). */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  /** One human line: "google swiftshader (SwiftShader Device (Subzero))". */
  label: string;
}

export const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const all = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  const isSwiftShader = all.includes('swiftshader');
  const parts = [vendor, architecture].filter(Boolean).join(' ');
  const extra = description || device;
  const label = [parts || 'unknown adapter', extra ? `(${extra})` : ''].filter(Boolean).join(' ');
  const sizes = info as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number } | undefined;
  const subgroupMinSize = sizes?.subgroupMinSize ?? 0;
  const subgroupMaxSize = sizes?.subgroupMaxSize ?? 0;
  return { vendor, architecture, device, description, isSwiftShader, label, subgroupMinSize, subgroupMaxSize };
}

/** Requests the adapter's maximum limits and every optional feature it has. */
export async function requestFullDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const wanted: (keyof GPUSupportedLimits)[] = [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupSizeZ',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBuffersPerShaderStage',
    'maxBindGroups',
  ];
  const requiredLimits: Record<string, number> = {};
  for (const name of wanted) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  try {
    return await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (err) {
    throw new GpuError(
      `The WebGPU adapter refused to create a device: ${(err as Error).message}`,
      'update the graphics driver, or choose another adapter (BRAINMRI_ADAPTER=swiftshader for the CPU fallback).',
    );
  }
}
