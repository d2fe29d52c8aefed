import { ConfigurationError } from './errors.js';

/** Where raw inputs come from: `INPUT_<NAME>` variables on a runner, a plain object in tests. */
export type InputSource = (name: string) => string | undefined;

/** The runner's convention (same as @actions/core): INPUT_ + name upper-cased, spaces to underscores. */
export function envInputs(env: NodeJS.ProcessEnv = process.env): InputSource {
  return (name) => env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
}

export function objectInputs(values: Record<string, string | undefined>): InputSource {
  return (name) => values[name];
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Strict duration: one or more `<integer><unit>` parts, units ms, s, m, h, e.g. `90s`, `10m`, `1h30m`.
 * A bare number is refused: `300` could mean seconds or milliseconds.
 */
export function parseDuration(value: string): number | undefined {
  const v = value.trim();
  if (!/^(\d+(ms|s|m|h))+$/.test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Reads and validates inputs; every error names the input, the problem and the fix. */
export class Inputs {
  constructor(private readonly source: InputSource) {}

  /** Trimmed value, or undefined when unset or empty. */
  raw(name: string): string | undefined {
    const v = this.source(name)?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  required(name: string, fix = `set \`${name}\` in the step's \`with:\``): string {
    const v = this.raw(name);
    if (v === undefined) throw new ConfigurationError({ input: name, problem: 'is required but was empty or not set', fix });
    return v;
  }

  /** Booleans: exactly true or false (any case). `yes`, `1` and typos are errors, not false. */
  boolean(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const lower = v.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw new ConfigurationError({ input: name, problem: `"${v}" is not a boolean`, fix: 'use true or false' });
  }

  duration(name: string, fallback: string | number, limits: { minMs?: number; maxMs?: number } = {}): number {
    const v = this.raw(name);
    const ms = v === undefined ? (typeof fallback === 'number' ? fallback : parseDuration(fallback)!) : parseDuration(v);
    if (ms === undefined) {
      throw new ConfigurationError({ input: name, problem: `"${v}" is not a duration`, fix: 'write a number with a unit: ms, s, m or h, e.g. 90s, 10m, 1h30m' });
    }
    if (limits.minMs !== undefined && ms < limits.minMs) {
      throw new ConfigurationError({ input: name, problem: `${v} is shorter than the minimum ${formatDuration(limits.minMs)}`, fix: `use at least ${formatDuration(limits.minMs)}` });
    }
    if (limits.maxMs !== undefined && ms > limits.maxMs) {
      throw new ConfigurationError({ input: name, problem: `${v} is longer than the maximum ${formatDuration(limits.maxMs)}`, fix: `use at most ${formatDuration(limits.maxMs)}` });
    }
    return ms;
  }

  integer(name: string, fallback: number, limits: { min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v)) throw new ConfigurationError({ input: name, problem: `"${v}" is not a whole number`, fix: 'write digits only, e.g. 3' });
    const n = Number(v);
    const { min, max } = limits;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      const range = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
      throw new ConfigurationError({ input: name, problem: `${n} is out of range`, fix: `use a number ${range}` });
    }
    return n;
  }

  /** One of a fixed set of values (case-insensitive); returns the canonical spelling. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (hit === undefined) throw new ConfigurationError({ input: name, problem: `"${v}" is not one of the allowed values`, fix: `use one of: ${allowed.join(', ')}` });
    return hit;
  }

  /**
   * Multi-line list: one item per line; blank lines and lines starting with # are ignored;
   * a leading "- " (YAML-list habit) is accepted. With `commas`, items may also be comma-separated.
   */
  list(name: string, options: { commas?: boolean } = {}): string[] {
    const v = this.source(name);
    if (v === undefined) return [];
    return v
      .split(/\r?\n/)
      .flatMap((line) => (options.commas ? line.split(',') : [line]))
      .map((item) => item.trim().replace(/^- +/, '').trim())
      .filter((item) => item !== '' && !item.startsWith('#'));
  }

  /** `key=value` lines (helm --set style). The key must be non-empty; the value may contain `=`. */
  keyValues(name: string): Array<{ key: string; value: string }> {
    return this.list(name).map((line) => {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new ConfigurationError({ input: name, problem: `line "${line.split('=')[0]}" is not key=value`, fix: 'write one key=value per line, e.g. image.tag=1.2.3' });
      return { key: line.slice(0, eq).trim(), value: line.slice(eq + 1) };
    });
  }
}
