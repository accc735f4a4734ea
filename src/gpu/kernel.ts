// A compute kernel as data: the WGSL that runs and the constants it was specialised with.
//
// The pipeline cache is keyed by this very object (and, for equal objects built twice, by the
// text they hold), so a cache key can never drift from the shader it names.

export interface Kernel {
  /** Short name for profiles and error messages, e.g. "conv2d.forward". */
  readonly name: string;
  /** Complete WGSL source. */
  readonly source: string;
  /** Entry point; "main" when omitted. */
  readonly entryPoint?: string;
  /** Values for WGSL `override` declarations. */
  readonly constants?: Readonly<Record<string, number>>;
}

/**
 * Builds a kernel from a WGSL template. `{{NAME}}` placeholders are replaced by `params`; a
 * placeholder left unfilled is an error, so a typo cannot produce a silently different shader.
 */
export function kernelFromTemplate(
  name: string,
  template: string,
  params: Readonly<Record<string, string | number>> = {},
  constants?: Readonly<Record<string, number>>,
  entryPoint?: string,
): Kernel {
  const source = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in params)) throw new Error(`kernel ${name}: template placeholder {{${key}}} has no value`);
    return String(params[key]);
  });
  return { name, source, constants, entryPoint };
}

/** The text that identifies a kernel's pipeline. */
export function kernelKey(kernel: Kernel): string {
  const constants = kernel.constants
    ? Object.keys(kernel.constants)
        .sort()
        .map((k) => `${k}=${kernel.constants![k]}`)
        .join(',')
    : '';
  return `${kernel.entryPoint ?? 'main'}|${constants}|${kernel.source}`;
}

/**
 * Memoises kernel construction so wrappers can ask for "the conv kernel with tile 4x4" on every
 * call and get the identical object back (which makes the pipeline lookup a WeakMap hit).
 */
export class KernelFamily<P> {
  private readonly made = new Map<string, Kernel>();
  constructor(private readonly build: (params: P) => Kernel) {}
  get(params: P): Kernel {
    const key = JSON.stringify(params);
    let kernel = this.made.get(key);
    if (!kernel) this.made.set(key, (kernel = this.build(params)));
    return kernel;
  }
}
