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
  library: WgslLibrary = {},
): Kernel {
  const source = resolveIncludes(name, template, library).replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in params)) throw new Error(`kernel ${name}: template placeholder {{${key}}} has no value`);
    return String(params[key]);
  });
  return { name, source, constants, entryPoint };
}

/**
 * WGSL snippets a shader may pull in, by include name. WGSL has no imports, so helpers shared by
 * several shaders live in `shaders/lib/<name>.wgsl`; the wrapper imports their text like any
 * `.wgsl` and hands this map over, so every include a kernel can see is spelled out beside it.
 */
export type WgslLibrary = Readonly<Record<string, string>>;

// A directive is a whole line: `#include "name"`. `#` is not WGSL, so a directive that somehow
// escaped resolution would fail shader compilation rather than run a different program.
const INCLUDE_LINE = /^[ \t]*#include[ \t]+"([\w./-]+)"[ \t]*\r?$/gm;
const ANY_DIRECTIVE = /^[ \t]*#include\b.*$/m;

/**
 * Replaces each `#include "name"` line of `source` by `library[name]`, recursively (snippets may
 * include snippets from the same library). Each snippet is pasted once, at its first include; a
 * later include of the same name expands to nothing, since WGSL forbids declaring a name twice.
 * An include missing from `library`, a malformed directive, or a cycle throws an error naming
 * `kernel` and the include, so a shader never compiles from a silently different text.
 */
export function resolveIncludes(kernel: string, source: string, library: WgslLibrary): string {
  const pasted = new Set<string>();
  const expand = (text: string, chain: readonly string[]): string => {
    const out = text.replace(INCLUDE_LINE, (_, include: string) => {
      if (chain.includes(include)) throw new Error(`kernel ${kernel}: include cycle ${[...chain, include].map((n) => `"${n}"`).join(' -> ')}`);
      if (!Object.prototype.hasOwnProperty.call(library, include)) {
        const known = Object.keys(library);
        throw new Error(`kernel ${kernel}: #include "${include}" is not in its WGSL library (${known.length ? known.map((n) => `"${n}"`).join(', ') : 'empty'})`);
      }
      if (pasted.has(include)) return `// (${include}: included above)`;
      pasted.add(include);
      return expand(library[include]!.replace(/\n$/, ''), [...chain, include]);
    });
    const stray = ANY_DIRECTIVE.exec(out);
    if (stray) throw new Error(`kernel ${kernel}: malformed include directive: ${stray[0].trim()}`);
    return out;
  };
  return expand(source, []);
}

/**
 * A kernel whose source pulls snippets from `library` with `#include "name"` lines; the
 * returned kernel's `source` is the complete, resolved WGSL (and so is its pipeline key).
 */
export function kernelWithIncludes(kernel: Kernel, library: WgslLibrary): Kernel {
  return { ...kernel, source: resolveIncludes(kernel.name, kernel.source, library) };
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
