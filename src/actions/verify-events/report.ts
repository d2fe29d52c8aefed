import { accessSync, closeSync, constants, mkdirSync, openSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigurationError, errorMessage, OperationError } from '../../core/errors.js';
import { checkLocation, clip, realOrSelf, type PathPolicy } from '../../core/inputs.js';
import type { VerifyInputs } from './inputs.js';
import type { VerifyResult } from './verify.js';

/**
 * The JSON report's file: checked with the inputs (before anything is sent), its folder made before the first
 * probe, written at the end. Never `mkdir -p` (Node's recursive mkdir loops forever under /proc): folders are
 * made one at a time, so a folder that cannot be made fails at once with its reason.
 */

const INPUT = 'report-path';
const FIX_FILE = 'name a file in a folder this runner may write, e.g. ${{ runner.temp }}/verify-events-report.json (the default)';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The deepest existing ancestor of `path` (or `path` itself) and the folders below it that do not exist yet. */
function existingAncestor(path: string): { dir: string; st: Stats; missing: string[] } {
  const missing: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    const st = statOrUndefined(p);
    if (st) return { dir: p, st, missing: missing.reverse() };
    if (dirname(p) === p) throw new Error(`bug: no existing ancestor of ${path}`);
    missing.push(p);
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The report path as the inputs give it, checked without writing anything: resolved from the workspace, not a
 * folder, its folder creatable and writable, and (symlinks followed) inside the workspace or RUNNER_TEMP unless
 * the policy allows any path. Throws a ConfigurationError naming report-path.
 */
export function checkReportPath(value: string, policy: PathPolicy): string {
  const path = isAbsolute(value) ? resolve(value) : resolve(policy.workspace, value);
  const problem = (p: string, fix = FIX_FILE): never => {
    throw new ConfigurationError({ input: INPUT, problem: p, fix });
  };
  if (/[\\/]$/.test(value)) problem(`${clip(value)} ends with "/": it names a folder, not a file`, `name the file, e.g. ${join(value, 'verify-events-report.json')}`);
  const { dir, st, missing } = existingAncestor(path);
  const real = missing.length ? join(realOrSelf(dir), relative(dir, path)) : realOrSelf(path);
  checkLocation(INPUT, value, path, real, policy, 'write the report inside the workspace or ${{ runner.temp }}');
  if (!missing.length) {
    if (st.isDirectory()) problem(`${clip(value)} is a folder`, `name a file inside it, e.g. ${join(value, 'verify-events-report.json')}`);
    if (!st.isFile()) problem(`${clip(value)} is not a regular file`);
    if (!writable(path)) problem(`${clip(value)} exists and this runner may not write it`);
    return path;
  }
  if (!st.isDirectory()) problem(`its folder cannot be created: ${dir} is a file, not a folder`);
  if (!writable(dir)) problem(`its folder cannot be created: this runner may not write in ${dir}`);
  return path;
}

/** Makes the folders below the deepest existing one, one at a time (a failure says which and why). */
function makeFolders(path: string): void {
  for (const dir of existingAncestor(dirname(path)).missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(dir)?.isDirectory()) continue;
      throw err;
    }
  }
}

const reason = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.path ? ` on ${e.path}` : ''}` : errorMessage(err);
};

/**
 * Before the first probe: makes the report's folder and opens the file for writing (created empty when absent,
 * never truncated here), so a path the runner cannot write fails now, with every output unset and no probe sent.
 */
export function prepareReport(path: string): void {
  try {
    makeFolders(path);
    closeSync(openSync(path, 'a'));
  } catch (err) {
    throw new ConfigurationError({ input: INPUT, problem: `${path} cannot be written (${reason(err)})`, fix: FIX_FILE });
  }
}

/** Writes the report; a failure is an OperationError naming the file (the outputs are already set). */
export function writeReport(path: string, report: unknown): void {
  try {
    makeFolders(path);
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  } catch (err) {
    throw new OperationError(`writing the report to ${path} failed (${reason(err)})`, {
      cause: err,
      hint: `the verdict and outputs were set before; something removed or locked ${dirname(path)}${sep} during the run, or the disk is full`,
    });
  }
}

/** The report's content: the verdict, the round trip it was about, the counts, the latency and every probe. */
export function reportOf(i: VerifyInputs, r: VerifyResult): Record<string, unknown> {
  return { ok: r.ok, verdict: r.verdict, next: r.next, probeTopic: i.probeTopic, replyTopic: i.replyTopic, consumerGroup: i.consumerGroup, sent: r.sent, acknowledged: r.acknowledged, latency: r.stats, probes: r.probes };
}
