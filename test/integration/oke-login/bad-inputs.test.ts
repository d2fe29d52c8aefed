import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { OciStandin } from '../../support/oci-standin.js';
import { caseTable } from './bad-input-cases.js';

/**
 * oke-login's bad inputs, each run through the built bundle (npm run build -- oke-login): the step fails with
 * exit code 1 and one ::error:: line that names the input and says what is wrong, before any OCI call and before
 * any change (no kubeconfig, nothing exported, nothing left in RUNNER_TEMP or HOME), and no secret is printed.
 * Only the OCI stand-in is needed (a bad input must never reach it); no Kubernetes.
 */
const world = caseTable();
let standin: OciStandin;

beforeAll(async () => {
  standin = await OciStandin.start();
  world.register(standin);
}, 60_000);

afterAll(async () => {
  world?.close();
  await standin?.close();
});

interface Outcome {
  run: ActionRun;
  /** The ::error:: lines, decoded. */
  errors: string[];
  /** What the run left behind: RUNNER_TEMP entries, HOME entries, GITHUB_PATH lines. */
  left: { runnerTemp: string[]; home: string[]; path: string };
  ociCalls: number;
  exchanges: number;
}

/** V8's compile cache (core/action.ts) is the one thing any action may leave in RUNNER_TEMP: no state of oke-login. */
const COMPILE_CACHE = 'oke-dapr-actions-compile-cache';

async function runCase(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'oke-login-bad-home-'));
  const files = mkdtempSync(join(tmpdir(), 'oke-login-bad-path-'));
  const pathFile = join(files, 'path');
  writeFileSync(pathFile, '');
  const calls = standin.calls.length;
  const exchanges = standin.identity.exchanges.length;
  try {
    const run = await runActionBundle('oke-login', 'main', world.resolve({ ...world.base, ...inputs }, standin), {
      env: world.resolve({ ...world.env, HOME: home, GITHUB_PATH: pathFile, ...env }, standin),
      timeoutMs: 60_000,
    });
    const errors = [...run.stdout.matchAll(/^::error::(.*)$/gm)].map((m) => m[1]!.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
    const left = { runnerTemp: readdirSync(run.runnerTemp).filter((f) => f !== COMPILE_CACHE), home: readdirSync(home), path: readFileSync(pathFile, 'utf8') };
    rmSync(run.runnerTemp, { recursive: true, force: true });
    return { run, errors, left, ociCalls: standin.calls.length - calls, exchanges: standin.identity.exchanges.length - exchanges };
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('oke-login: the base inputs of the table log in (the control: each case fails because of its one change)', () => {
  it('exits 0 and writes a kubeconfig', async () => {
    const { run, errors, ociCalls } = await runCase({});
    expect(errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.exported.KUBECONFIG).toMatch(/oke-login-[^/]+\/kubeconfig$/);
    expect(ociCalls).toBe(2);
  }, 60_000);
});

describe('oke-login refuses bad inputs before any change, naming the input, printing no secret', () => {
  it('has at least 25 cases', () => {
    expect(world.cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(world.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { run, errors, left, ociCalls, exchanges } = await runCase(c.inputs, c.env);
    const [input, ...others] = c.names;
    const error = errors.join('\n');
    // One failure, exit code 1, the input named where the problem starts, the diagnosis said.
    expect({ case: c.name, code: run.code, errors: errors.length }).toEqual({ case: c.name, code: 1, errors: 1 });
    expect({ case: c.name, error }).toEqual({ case: c.name, error: expect.stringMatching(new RegExp(`(^|\\n- )${escape(input)}: `)) });
    for (const name of others) expect({ case: c.name, names: name, found: error.includes(name) }).toEqual({ case: c.name, names: name, found: true });
    expect({ case: c.name, error }).toEqual({ case: c.name, error: expect.stringMatching(c.says) });
    expect(error).not.toMatch(/\bbug\b|TypeError|at .*\.js:\d+/);
    // Nothing changed: no OCI call or token exchange, nothing exported, written or left behind.
    expect({ case: c.name, ociCalls, exchanges }).toEqual({ case: c.name, ociCalls: 0, exchanges: 0 });
    expect({ case: c.name, exported: run.exported, outputs: run.outputs, state: run.state, left }).toEqual({ case: c.name, exported: {}, outputs: {}, state: {}, left: { runnerTemp: [], home: [], path: '' } });
    // No secret anywhere: every line of each key, the passphrase, the client secret, the token request token.
    const everything = run.everything();
    for (const secret of [...world.secrets, ...(c.secrets ?? [])]) {
      expect({ case: c.name, secret: secret.slice(0, 10), found: everything.includes(secret) }).toEqual({ case: c.name, secret: secret.slice(0, 10), found: false });
    }
  }, 60_000);
});
