import { realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigurationError, type ConfigurationProblem } from './errors.js';

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

  /**
   * `key=value` lines (helm --set style). The key must be non-empty; the value may contain `=`. Every bad line is
   * its own problem, all reported together.
   */
  keyValues(name: string): Array<{ key: string; value: string }> {
    const problems: ConfigurationProblem[] = [];
    const out: Array<{ key: string; value: string }> = [];
    for (const [n, line] of this.list(name).entries()) {
      const eq = line.indexOf('=');
      const key = eq < 0 ? line : line.slice(0, eq).trim();
      // The value is never shown: it may be a credential.
      if (eq < 0) problems.push({ input: name, problem: `line ${n + 1} ("${clip(line, 60)}") is not key=value (it has no =)`, fix: 'write one key=value per line, e.g. image.tag=1.2.3' });
      else if (key === '') problems.push({ input: name, problem: `line ${n + 1} has an empty key (nothing before the =)`, fix: "write the value's key before the =, e.g. image.tag=1.2.3" });
      else out.push({ key, value: line.slice(eq + 1) });
    }
    if (problems.length) throw new ConfigurationError(problems);
    return out;
  }
}

/*
 * Shared validators: every action checks URLs, names, versions and paths the same way, with the same words.
 * Each throws a ConfigurationError naming the input; callers collect them with a ProblemList so that all the
 * problems of an input set are reported together.
 */

/** RFC 1123 label (Kubernetes namespaces, Dapr app ids, service names): lowercase alphanumerics and "-", at most 63. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain (Helm release names, most Kubernetes object names): labels joined by ".", at most 253. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** An exact release version: 1.2.3, an optional leading v, an optional pre-release (-rc.1). No ranges. */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** `value` as a DNS label (what: "namespace name", "app id"), or a ConfigurationError naming `input`. */
export function checkDnsLabel(input: string, value: string, what = 'name'): string {
  if (value.length > 63) throw new ConfigurationError({ input, problem: `"${clip(value)}" is ${value.length} characters; a ${what} has at most 63`, fix: `shorten it to 63 lowercase letters, digits or "-"` });
  if (!DNS_LABEL.test(value)) throw new ConfigurationError({ input, problem: `"${clip(value)}" is not a valid ${what}`, fix: 'use lowercase letters, digits and "-", starting and ending with a letter or digit (RFC 1123 label), e.g. my-app' });
  return value;
}

/** `value` as a DNS subdomain (Helm release and Kubernetes object names), at most `max` characters. */
export function checkDnsSubdomain(input: string, value: string, what = 'name', max = 253): string {
  if (value.length > max) throw new ConfigurationError({ input, problem: `"${clip(value)}" is ${value.length} characters; a ${what} has at most ${max}`, fix: `shorten it to ${max} characters` });
  if (!DNS_SUBDOMAIN.test(value)) throw new ConfigurationError({ input, problem: `"${clip(value)}" is not a valid ${what}`, fix: 'use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, e.g. todo-app' });
  return value;
}

/** An exact version (no range, no "latest"), returned without its leading v. */
export function checkExactVersion(input: string, value: string, example: string): string {
  if (!EXACT_VERSION.test(value)) throw new ConfigurationError({ input, problem: `"${clip(value)}" is not an exact version`, fix: `write an exact release version such as ${example} (no ranges, no "latest")` });
  return value.replace(/^v/, '');
}

/**
 * An absolute URL with one of the allowed schemes and a host. `new URL` alone accepts `https:foo` and
 * `http://` with a bad port only when used; this checks what a request would need.
 */
export function checkUrl(input: string, value: string, options: { schemes: readonly string[]; example: string }): URL {
  const fix = `write a full ${options.schemes.join(' or ')} URL, e.g. ${options.example}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const port = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]*@?\[?[^\]/?#]*\]?:(\d+)(?:[/?#]|$)/i.exec(value)?.[1];
    if (port !== undefined && Number(port) > 65535) throw new ConfigurationError({ input, problem: `"${clip(value)}" has port ${port}, above the highest port 65535`, fix });
    throw new ConfigurationError({ input, problem: `"${clip(value)}" is not a URL`, fix });
  }
  if (url.port === '0') throw new ConfigurationError({ input, problem: `"${clip(value)}" has port 0, which no server listens on`, fix });
  const scheme = url.protocol.replace(/:$/, '');
  if (!options.schemes.includes(scheme)) throw new ConfigurationError({ input, problem: `"${clip(value)}" uses ${scheme}://, which is not supported here`, fix });
  if (!url.hostname || !/^[a-z]+:\/\//i.test(value)) throw new ConfigurationError({ input, problem: `"${clip(value)}" has no host`, fix });
  if (/\s/.test(value)) throw new ConfigurationError({ input, problem: `"${clip(value)}" contains whitespace`, fix });
  return url;
}

/** Where file inputs may point: the workspace, the runner's temp folder (files earlier steps wrote), unless allowed anywhere. */
export interface PathPolicy {
  workspace: string;
  /** RUNNER_TEMP: kubeconfigs and values files written by earlier steps live there. */
  runnerTemp?: string;
  /** The action's allow-outside-workspace input: any path on the runner is accepted. */
  allowOutside: boolean;
  /** The name of the input that allows it, for the fix text. */
  allowInput: string;
}

export function pathPolicy(env: NodeJS.ProcessEnv, allowOutside: boolean, allowInput = 'allow-outside-workspace'): PathPolicy {
  return { workspace: resolve(env.GITHUB_WORKSPACE || process.cwd()), runnerTemp: env.RUNNER_TEMP ? resolve(env.RUNNER_TEMP) : undefined, allowOutside, allowInput };
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The path with symlinks resolved, or the path itself when it does not exist (yet). */
export function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Refuses a path whose real location (`real`, symlinks followed) is outside the workspace and RUNNER_TEMP, unless
 * the policy allows any path. `path` is where `value` resolved to before symlinks were followed.
 */
export function checkLocation(input: string, value: string, path: string, real: string, policy: PathPolicy, fix = 'use a path inside the workspace'): void {
  if (policy.allowOutside) return;
  const roots = [policy.workspace, policy.runnerTemp].filter((d): d is string => d !== undefined).map(realOrSelf);
  if (roots.some((r) => inside(r, real))) return;
  throw new ConfigurationError({
    input,
    problem: `${clip(value)} is outside the workspace (${real === path ? path : `${path} -> ${real}`}; allowed: ${roots.join(', ')})`,
    fix: `${fix}, or set ${policy.allowInput}: true if this file really lives elsewhere on the runner`,
  });
}

/**
 * A path input resolved from the workspace, that must exist, be of the expected kind and (after following
 * symlinks) stay inside the workspace or RUNNER_TEMP unless the policy allows any path: a
 * `../../etc/hostname` in set-file would otherwise ship a runner file into a release.
 */
export function checkPath(input: string, value: string, policy: PathPolicy, kind: 'file' | 'directory' | 'file or directory' = 'file'): string {
  const path = isAbsolute(value) ? resolve(value) : resolve(policy.workspace, value);
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new ConfigurationError({ input, problem: `${clip(value)} does not exist (looked at ${path})`, fix: 'check the path; relative paths are resolved from the workspace (GITHUB_WORKSPACE)' });
  }
  if (kind === 'file' && !st.isFile()) throw new ConfigurationError({ input, problem: `${clip(value)} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}`, fix: 'point it at a file' });
  if (kind === 'directory' && !st.isDirectory()) throw new ConfigurationError({ input, problem: `${clip(value)} is not a directory`, fix: 'point it at a directory' });
  if (kind === 'file or directory' && !st.isFile() && !st.isDirectory()) throw new ConfigurationError({ input, problem: `${clip(value)} is neither a file nor a directory`, fix: 'point it at a file or a directory' });
  checkLocation(input, value, path, realOrSelf(path), policy);
  return path;
}

/** A value shown in a message, cut so that a pasted file or a 2,000-entry list cannot flood the log. */
export function clip(value: string, max = 120): string {
  const oneLine = value.replace(/\r?\n/g, '\\n');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}… (${value.length} characters)`;
}

/**
 * A short excerpt of a file's text for an error message: at most `lines` lines of at most 80 characters, and the
 * size of the rest, each line set off with `  | ` so that it never reads as one more problem. A values file that is
 * really /etc/passwd or 1 MB of binary must not be echoed whole into the log and the summary; callers redact the
 * excerpt with their Secrets as every message is.
 */
export function excerpt(text: string, lines = 3): string {
  const all = text.replace(/(\r?\n)+$/, '').split(/\r?\n/);
  // eslint-disable-next-line no-control-regex
  const shown = all.slice(0, lines).map((l) => clip(l.replace(/[\x00-\x08\x0e-\x1f\x7f]/g, '?'), 80));
  const rest = all.length - shown.length;
  return [...shown, ...(rest > 0 ? [`… (${rest} more line${rest === 1 ? '' : 's'}, ${text.length} characters in all)`] : [])].map((l) => `  | ${l}`).join('\n');
}
