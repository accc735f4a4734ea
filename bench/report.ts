// The readable side of a bench report: tables for the terminal, and the results file's name.
import type { BenchReport } from './run.js';

const fmt = (x: number | null | undefined, digits = 3): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  return Number(x.toPrecision(digits)).toString();
};

const mib = (bytes: number | undefined): string => (bytes === undefined ? '-' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

function table(header: string[], rows: string[][], rightAligned: Set<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  const o = r.options;
  out.push(`brainmri bench: ${r.adapter.label}${r.adapter.isSwiftShader ? ' [CPU emulation]' : ''}${o.convVariant ? `; conv2d engine forced: ${o.convVariant}` : ''}`);
  const method = r.cases[0]?.method ?? (r.adapter.timestampQuery && o.timing !== 'wall' ? 'gpu-timestamps' : 'wall-sync');
  out.push(
    `  ResNet18 res ${o.res} batch ${o.batch} (${fmt(r.model.train_gflop_per_image)} GFLOP/image per training step); ` +
      `kernels: ${method}, median of ${o.repeats}; steps: median of ${o.steps} after the first; ` +
      `load average ${r.host.loadavg_start[0]} -> ${r.host.loadavg_end[0]} on ${r.host.cpus} CPUs`,
  );
  const c = r.ceilings;
  if (c) {
    out.push(
      `  ceilings: copy ${fmt(c.bandwidth_GBps)} GB/s (${c.copy.bytes >> 20} MiB, read+write); matmul ${fmt(c.gflops)} GFLOP/s, best of ` +
        c.matmul.map((m) => `${m.variant.replace('ceiling.', '')} ${fmt(m.gflops)}${m.ok ? '' : ' INVALID'}`).join(', ') +
        ` at ${c.matmul[0]?.size}^3`,
    );
  }
  if (r.cases.length > 0) {
    out.push('');
    const rows = r.cases.map((k) => [
      k.op,
      k.layer,
      k.shape,
      String(k.count),
      fmt(k.median_ms),
      fmt(k.gflops),
      fmt(k.gbps),
      fmt(k.pct_flops, 2),
      fmt(k.pct_bandwidth, 2),
      String(k.dispatches),
      `${k.validation.ok ? 'ok' : 'FAIL'} ${fmt(k.validation.maxRelErr, 2)}${k.validation.batch !== o.batch ? ` (N=${k.validation.batch})` : ''}`,
    ]);
    out.push(...table(['op', 'layer', 'shape', 'x', 'ms', 'GFLOP/s', 'GB/s', '%flop', '%bw', 'disp', 'check (rel err)'], rows, new Set([3, 4, 5, 6, 7, 8, 9])));
    // Where a step's kernel time goes: each case's median times its occurrences in one step.
    const perOp = new Map<string, number>();
    for (const k of r.cases) perOp.set(k.op, (perOp.get(k.op) ?? 0) + k.count * k.median_ms);
    const total = [...perOp.values()].reduce((a, b) => a + b, 0);
    out.push('');
    out.push(
      `  per op, count x median summed over the ResNet18 shapes (${fmt(total)} ms in all): ` +
        [...perOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `${op} ${fmt(ms)}`).join(', '),
    );
  }
  if (r.not_benchmarked.length > 0 && o.groups.includes('kernels')) out.push(`  no kernel case yet for: ${r.not_benchmarked.join(', ')}`);
  if (r.steps.length > 0) {
    out.push('');
    for (const s of r.steps) {
      if (!s.available) {
        out.push(`${s.name}: ${s.note}`);
        continue;
      }
      out.push(
        `${s.name}: ${fmt(s.median_ms)} ms/step median${s.timing === 'serial' ? ' (serial)' : ''}${s.eager_optimizer ? ' (eager optimizer)' : ''}` +
          `${s.mean_ms !== undefined ? `, mean ${fmt(s.mean_ms)}` : ''} (${fmt(s.img_s)} img/s; recording ${fmt(s.record_ms)} ms` +
          (s.kernels_ms !== undefined ? `, kernels ${fmt(s.kernels_ms)} ms` : '') +
          `), first step ${fmt(s.first_step_ms)} ms ` +
          `(${s.pipelines_compiled ?? '-'} pipelines compiled), peak pool ${mib(s.peak_pool_bytes)}, ` +
          `${s.dispatches_per_step ?? '-'} dispatches and ${s.submits_per_step ?? '-'} submits per step` +
          (s.loss_first !== undefined ? `, loss ${fmt(s.loss_first, 4)} -> ${fmt(s.loss_last, 4)}` : '') +
          (s.ok === false ? '  FAILED CHECK' : ''),
      );
      if (s.top_kernels?.length) {
        out.push(`  top kernels in one step: ${s.top_kernels.map((k) => `${k.name} ${fmt(k.ms)} ms (${k.count}x)`).join(', ')}`);
      }
    }
  }
  for (const t of r.torch) {
    if (!t.available) {
      out.push(`${t.name}: skipped, ${t.note}`);
      continue;
    }
    out.push(
      `${t.name}: ${fmt(t.median_ms)} ms/step median (${fmt(t.img_s)} img/s) on ${t.device} (torch ${t.torch}, ${t.threads} threads)` +
        (t.engine_over_torch !== undefined ? `; engine / torch = ${fmt(t.engine_over_torch)}x` : '; no engine step to compare'),
    );
  }
  out.push('');
  out.push(`${r.ok ? 'all checks passed' : 'SOME CHECKS FAILED'}; ${fmt(r.wall_s)} s in all`);
  return out.join('\n');
}

/** bench/results file name: adapter, date, size, e.g. google-swiftshader_2026-11-26_r64b8.json. */
export function resultFileName(r: BenchReport): string {
  const slug = [r.adapter.vendor, r.adapter.architecture || r.adapter.device]
    .filter(Boolean)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  const groups = r.options.groups.length === 3 ? '' : `_${r.options.groups.join('+')}`;
  const variant = r.options.convVariant ? `_${r.options.convVariant}` : '';
  return `${slug || 'adapter'}_${r.date.slice(0, 10)}_r${r.options.res}b${r.options.batch}${r.options.quick ? '_quick' : ''}${groups}${variant}.json`;
}
