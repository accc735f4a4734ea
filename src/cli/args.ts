// A small declarative argument parser: each command declares its options once, and the same
// declaration produces `--help`, type conversion and the errors for unknown or malformed flags.

export type OptionType = 'string' | 'number' | 'int' | 'boolean' | 'list';

export interface OptionSpec {
  name: string; // long name without dashes: "val-size"
  type: OptionType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values for a string option. */
  choices?: readonly string[];
  /** Metavariable shown in help, e.g. "DIR". */
  meta?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  /** Text after the option list: examples, notes. */
  epilog?: string;
}

export type ParsedValue = string | number | boolean | string[] | undefined;

export interface Parsed {
  options: Record<string, ParsedValue>;
  positional: string[];
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Parses argv for one command. Option keys come back camelCased: --val-size -> valSize. */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const options: Record<string, ParsedValue> = {};
  for (const o of spec.options) if (o.default !== undefined) options[camel(o.name)] = o.default;
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    let name = arg.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let negated = false;
    let opt = byName.get(name);
    if (!opt && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      opt = byName.get(name.slice(3));
      negated = true;
    }
    if (!opt) {
      const near = [...byName.keys()].filter((k) => k.includes(name) || name.includes(k)).slice(0, 3);
      throw new UsageError(`unknown option --${name} for "${spec.name}"${near.length ? ` (did you mean ${near.map((n) => '--' + n).join(', ')}?)` : ''}; see --help`);
    }
    const key = camel(opt.name);
    if (opt.type === 'boolean') {
      if (inline !== undefined && !['true', 'false', '1', '0'].includes(inline)) throw new UsageError(`--${opt.name} takes no value (got "${inline}")`);
      options[key] = negated ? false : inline === undefined ? true : inline === 'true' || inline === '1';
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${opt.name} needs a value (${opt.meta ?? opt.type})`);
    options[key] = convert(opt, raw);
  }
  return { options, positional, help };
}

function convert(opt: OptionSpec, raw: string): ParsedValue {
  switch (opt.type) {
    case 'number': {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new UsageError(`--${opt.name} needs a number, got "${raw}"`);
      return v;
    }
    case 'int': {
      const v = Number(raw);
      if (!Number.isInteger(v)) throw new UsageError(`--${opt.name} needs a whole number, got "${raw}"`);
      return v;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'string':
      if (opt.choices && !opt.choices.includes(raw)) {
        throw new UsageError(`--${opt.name} must be one of ${opt.choices.join(', ')}; got "${raw}"`);
      }
      return raw;
    default:
      return raw;
  }
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, '', `Usage: ${spec.usage}`, '', 'Options:'];
  const left = spec.options.map((o) => {
    const meta = o.type === 'boolean' ? '' : ` ${o.meta ?? (o.choices ? o.choices.join('|') : o.type.toUpperCase())}`;
    return `  --${o.name}${meta}`;
  });
  const width = Math.min(34, Math.max(...left.map((l) => l.length), 10) + 2);
  spec.options.forEach((o, i) => {
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    const l = left[i]!;
    lines.push(l.length >= width ? `${l}\n${' '.repeat(width)}${o.help}${def}` : `${l.padEnd(width)}${o.help}${def}`);
  });
  lines.push(`  --help${' '.repeat(Math.max(1, width - 8))}Show this help`);
  if (spec.epilog) lines.push('', spec.epilog);
  return lines.join('\n');
}
