// The `#include "name"` mechanism of src/gpu/kernel.ts: shared WGSL snippets (shaders/lib/*.wgsl)
// resolved into complete kernel sources.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelFromTemplate, kernelKey, kernelWithIncludes, resolveIncludes, type Kernel } from '../../src/gpu/kernel.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { useGpu } from '../helpers/gpu.js';

const gpu = useGpu();

const LIB = {
  twice: '// twice: doubles a value.\nfn twice(v: u32) -> u32 { return v * 2u; }\n',
  quad: '// quad: four times a value, through twice.\n#include "twice"\nfn quad(v: u32) -> u32 { return twice(twice(v)); }\n',
};

describe('resolveIncludes', () => {
  it('pastes the named snippet in place of the directive line', () => {
    const out = resolveIncludes('t.one', 'const A = 1u;\n#include "twice"\nconst B = 2u;\n', LIB);
    expect(out).toBe('const A = 1u;\n// twice: doubles a value.\nfn twice(v: u32) -> u32 { return v * 2u; }\nconst B = 2u;\n');
  });

  it('accepts a directive in a file saved with CRLF line ends', () => {
    expect(resolveIncludes('t.crlf', 'const A = 1u;\r\n#include "twice"\r\nconst B = 2u;\r\n', LIB)).toContain('fn twice(v: u32) -> u32 { return v * 2u; }\nconst B = 2u;');
  });

  it('leaves a source without directives unchanged', () => {
    const src = 'fn f() {}\n// #include is only a directive at the start of a line\n';
    expect(resolveIncludes('t.none', src, {})).toBe(src);
  });

  it('resolves nested includes from the same library', () => {
    const out = resolveIncludes('t.nested', '#include "quad"\n', LIB);
    expect(out).toContain('fn twice(');
    expect(out).toContain('fn quad(');
    expect(out.indexOf('fn twice(')).toBeLessThan(out.indexOf('fn quad('));
    expect(out).not.toMatch(/#include/);
  });

  it('pastes a snippet included twice (directly or through another) only once', () => {
    const out = resolveIncludes('t.twice', '#include "twice"\n#include "quad"\n  #include "twice"\n', LIB);
    expect(out.match(/fn twice\(/g)).toHaveLength(1);
    expect(out.match(/fn quad\(/g)).toHaveLength(1);
  });

  it('throws naming the kernel and the include when the include is unknown', () => {
    expect(() => resolveIncludes('t.unknown', '#include "nope"\n', LIB)).toThrow(/kernel t\.unknown: #include "nope" is not in its WGSL library/);
    expect(() => resolveIncludes('t.nested_unknown', '#include "outer"\n', { outer: '#include "inner"\n' })).toThrow(/kernel t\.nested_unknown: #include "inner"/);
    // Inherited object keys are not snippets.
    expect(() => resolveIncludes('t.proto', '#include "toString"\n', {})).toThrow(/kernel t\.proto: #include "toString"/);
  });

  it('throws on a malformed directive and on a cycle', () => {
    expect(() => resolveIncludes('t.bad', '#include twice\n', LIB)).toThrow(/kernel t\.bad: malformed include directive: #include twice/);
    expect(() => resolveIncludes('t.bad2', '#include "twice" x\n', LIB)).toThrow(/kernel t\.bad2: malformed/);
    expect(() => resolveIncludes('t.cycle', '#include "a"\n', { a: '#include "b"\n', b: '#include "a"\n' })).toThrow(/kernel t\.cycle: include cycle "a" -> "b" -> "a"/);
  });

  it('gives kernels a complete source, and so a pipeline key holding the full text', () => {
    const k = kernelWithIncludes({ name: 't.k', source: '#include "twice"\nfn main() {}\n', entryPoint: 'main', constants: { X: 1 } }, LIB);
    expect(k.source).toContain('fn twice(');
    expect(k.name).toBe('t.k');
    expect(k.constants).toEqual({ X: 1 });
    expect(kernelKey(k)).toContain('fn twice(');
    // Templates resolve includes first, so a snippet may hold placeholders of the template.
    const t = kernelFromTemplate('t.tpl', '#include "scaled"\n', { S: 3 }, undefined, undefined, { scaled: 'const S = {{S}}u;' });
    expect(t.source).toBe('const S = 3u;\n');
    expect(() => kernelFromTemplate('t.tpl_missing', '#include "scaled"\n', {})).toThrow(/kernel t\.tpl_missing: #include "scaled"/);
  });
});

describe('shaders/lib', () => {
  const libDir = new URL('../../shaders/lib/', import.meta.url);
  const shaderDir = new URL('../../shaders/', import.meta.url);
  const libs = readdirSync(libDir).filter((f) => f.endsWith('.wgsl'));

  it('each snippet starts with a comment saying what it provides', () => {
    expect(libs.length).toBeGreaterThan(0);
    for (const f of libs) expect(readFileSync(new URL(f, libDir), 'utf8'), f).toMatch(new RegExp(`^// ${f.replace(/\.wgsl$/, '')}: \\S`));
  });

  it('every include in shaders/ names a file of shaders/lib', () => {
    const names = new Set(libs.map((f) => f.replace(/\.wgsl$/, '')));
    const files = [...readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl')), ...libs.map((f) => `lib/${f}`)];
    let seen = 0;
    for (const f of files) {
      for (const m of readFileSync(new URL(f, shaderDir), 'utf8').matchAll(/^\s*#include "([^"]+)"/gm)) {
        seen++;
        expect(names.has(m[1]!), `${f}: #include "${m[1]}"`).toBe(true);
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
});

describe('an included kernel on the device', () => {
  it('compiles and runs with the nested snippet resolved', async () => {
    const kernel: Kernel = kernelWithIncludes(
      {
        name: 'test.include_quad',
        source: /* wgsl */ `
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
#include "quad"
#include "twice"
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid < params.count) { out[lid] = quad(lid) + twice(1u); }
}`,
      },
      LIB,
    );
    const g = gpu();
    const n = 50;
    const out = Tensor.empty(g, [n], 'u32');
    g.dispatch(kernel, { uniforms: new Uint32Array([n, 0, 0, 0]), buffers: [out.binding], workgroups: [1] });
    g.submit();
    const got = Array.from((await out.toArray()) as Uint32Array);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => 4 * i + 2));
    out.release();
  });
});
