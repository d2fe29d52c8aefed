import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cleanupEntry, defineAction, failureMessage, runAction, StateKey, type ActionDefinition, type ActionResult, type StepContext } from '../../../src/core/action.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Secrets } from '../../../src/core/secrets.js';
import { SummaryBuilder } from '../../../src/core/summary.js';
import { FakeActionEnv } from '../../support/fake-action-env.js';

const SECRET = 's3cr3t-Pa55';

/** How an entry's outcome becomes the step's result: failed or not, the message, the summary's heading. */
describe('runAction', () => {
  it.each([
    {
      name: 'a configuration error: "Invalid input", the message alone, no stack in the log',
      error: new ConfigurationError({ input: 'timeout', problem: '"5" is not a duration', fix: 'write 90s' }),
      message: 'timeout: "5" is not a duration. Fix: write 90s',
      heading: '## t: invalid input',
      debugStack: false,
    },
    {
      name: 'several configuration problems: all of them, in one failure',
      error: new ConfigurationError([
        { input: 'a', problem: 'bad', fix: 'fix a' },
        { input: 'b', problem: 'worse', fix: 'fix b' },
      ]),
      message: '2 problems:\n- a: bad. Fix: fix a\n- b: worse. Fix: fix b',
      heading: '## t: invalid input',
      debugStack: false,
    },
    {
      name: 'an operation error: "Failed", the message and the hint as Next:',
      error: new OperationError('helm upgrade failed', { hint: 'read the Diagnostics group' }),
      message: 'helm upgrade failed\nNext: read the Diagnostics group',
      heading: '## t: failed',
      debugStack: true,
    },
    {
      name: 'an operation error without a hint: no Next line',
      error: new OperationError('listing topics failed'),
      message: 'listing topics failed',
      heading: '## t: failed',
      debugStack: true,
    },
    {
      name: 'any other error (a bug): its message, the stack kept for debug logging',
      error: new TypeError('x is undefined'),
      message: 'x is undefined',
      heading: '## t: failed',
      debugStack: true,
    },
    {
      name: 'a thrown non-error value: printed as text',
      error: 'plain string',
      message: 'plain string',
      heading: '## t: failed',
      debugStack: false,
    },
    {
      name: 'a registered secret in the message or the hint: redacted everywhere',
      error: new OperationError(`login with ${SECRET} refused`, { hint: `rotate ${SECRET}` }),
      message: 'login with *** refused\nNext: rotate ***',
      heading: '## t: failed',
      debugStack: true,
    },
  ])('$name', async ({ error, message, heading, debugStack }) => {
    const env = new FakeActionEnv();
    env.secrets.add(SECRET);
    await runAction('t', () => Promise.reject(error), env);
    expect(env.failed).toBe(message);
    expect(env.summary).toContain(heading);
    expect(env.summary).toContain(message.split('\n')[0]);
    expect(env.everything() + (env.failed ?? '')).not.toContain(SECRET);
    expect(env.log.lines.some((l) => l.startsWith('debug: ') && l.includes('    at '))).toBe(debugStack);
  });

  it('a body that succeeds leaves the step passing and writes no failure summary', async () => {
    const env = new FakeActionEnv();
    await runAction('t', async (e) => e.setOutputs({ ok: true }), env);
    expect(env.failed).toBeUndefined();
    expect(env.outputs).toEqual({ ok: 'true' });
    expect(env.summary).toBe('');
  });

  it('the summary of a failure lists the timings recorded before it', async () => {
    const env = new FakeActionEnv();
    await runAction(
      't',
      async (e) => {
        e.timings.record('Resolve helm', 1234, true);
        throw new OperationError('boom');
      },
      env,
    );
    expect(env.summary).toContain('Resolve helm');
  });
});

describe('failureMessage', () => {
  it('redacts every registered secret, each line of a multi-line one too', () => {
    const secrets = new Secrets(() => undefined);
    secrets.add('line-one\nline-two');
    expect(failureMessage(new Error('got line-two back'), secrets)).toBe('got *** back');
  });
});

/**
 * defineAction: the one wiring of all five actions. parse -> load -> run(inputs, deps) -> exports, outputs,
 * summary -> fail the step with the result's failure. Driven with a fake action that records what happened when.
 */
describe('defineAction', () => {
  interface FakeResult extends ActionResult {
    value: string;
  }
  type Step = { parse?: () => string; run?: (inputs: string, deps: { log: StepContext['log'] }) => Promise<FakeResult>; refused?: ActionDefinition<string, unknown, FakeResult, object>['refused'] };

  /** A fake action: `calls` says in which order the entry called parse, load, run, outputs and summary. */
  function fakeAction(step: Step = {}) {
    const calls: string[] = [];
    const def: ActionDefinition<string, { log: StepContext['log'] }, FakeResult, { value: string; extra?: string }> = {
      parse: (env) => {
        calls.push('parse');
        env.secrets.add(env.inputs.raw('password'));
        return step.parse ? step.parse() : env.inputs.raw('name') ?? 'world';
      },
      load: async () => {
        calls.push('load');
        return {
          deps: (s) => ({ log: s.log }),
          run: async (inputs, deps) => {
            calls.push(`run ${inputs}`);
            return step.run ? step.run(inputs, deps) : { value: `hello ${inputs}` };
          },
        };
      },
      outputs: (r) => (calls.push('outputs'), { value: r.value }),
      summary: (r) => (calls.push('summary'), new SummaryBuilder().heading(`fake: ${r.value}`)),
      ...(step.refused ? { refused: step.refused } : {}),
    };
    return { calls, entry: defineAction(def) };
  }

  const headings = (md: string): string[] => md.split('\n').filter((l) => l.startsWith('## '));

  it.each([
    {
      name: 'success: parse, load, run, then outputs and summary; the step passes',
      step: {},
      calls: ['parse', 'load', 'run world', 'outputs', 'summary'],
      outputs: { value: 'hello world' },
      headings: ['## fake: hello world'],
      failed: undefined,
    },
    {
      name: 'bad inputs: nothing is loaded or run; the generic "invalid input" summary, no outputs',
      step: { parse: () => { throw new ConfigurationError({ input: 'name', problem: 'is bad', fix: 'fix it' }); } },
      calls: ['parse'],
      outputs: {},
      headings: ['## fake: invalid input'],
      failed: 'name: is bad. Fix: fix it',
    },
    {
      name: 'bad inputs with a refused result: its outputs and its summary only, then the step fails with its failure',
      step: {
        parse: () => { throw new ConfigurationError({ input: 'name', problem: 'is bad', fix: 'fix it' }); },
        refused: (err: ConfigurationError) => ({ value: `refused: ${err.problems.length} problem(s)`, failure: err }),
      },
      calls: ['parse', 'outputs', 'summary'],
      outputs: { value: 'refused: 1 problem(s)' },
      headings: ['## fake: refused: 1 problem(s)'],
      failed: 'name: is bad. Fix: fix it',
    },
    {
      name: 'a result that carries a failure: outputs and summary first, then the step fails with it (hint as Next), one summary only',
      step: { run: async () => ({ value: 'half done', failure: new OperationError('the second half failed', { hint: 'look at the logs' }) }) },
      calls: ['parse', 'load', 'run world', 'outputs', 'summary'],
      outputs: { value: 'half done' },
      headings: ['## fake: half done'],
      failed: 'the second half failed\nNext: look at the logs',
    },
    {
      name: 'a run that throws: no outputs, the generic "failed" summary',
      step: { run: async () => { throw new OperationError('exploded', { hint: 'retry' }); } },
      calls: ['parse', 'load', 'run world'],
      outputs: {},
      headings: ['## fake: failed'],
      failed: 'exploded\nNext: retry',
    },
  ])('$name', async ({ step, calls, outputs, headings: expected, failed }) => {
    const env = new FakeActionEnv();
    const action = fakeAction(step as Step);
    await runAction('fake', action.entry, env);
    expect(action.calls).toEqual(calls);
    expect(env.outputs).toEqual(outputs);
    expect(headings(env.summary)).toEqual(expected);
    expect(env.failed).toBe(failed);
  });

  it('a failure that quotes a secret is redacted in the step failure, the outputs refuse it', async () => {
    const env = new FakeActionEnv({ password: SECRET });
    const action = fakeAction({ run: async () => ({ value: 'ok', failure: new Error(`login with ${SECRET} refused`) }) });
    await runAction('fake', action.entry, env);
    expect(env.failed).toBe('login with *** refused');
    expect(env.masked).toContain(SECRET);
    expect(env.everything() + env.failed).not.toContain(SECRET);
  });

  it('exports the variables and PATH entries the result names, before the outputs', async () => {
    const env = new FakeActionEnv();
    const action = fakeAction({ run: async () => ({ value: 'v', exportVariables: { KUBECONFIG: '/tmp/k/config' }, addPaths: ['/tools/kubectl/1.34.5'] }) });
    await runAction('fake', action.entry, env);
    expect([env.exported, env.paths, env.failed]).toEqual([{ KUBECONFIG: '/tmp/k/config' }, ['/tools/kubectl/1.34.5'], undefined]);
  });

  it('exports nothing when the result has a failure but names no exports', async () => {
    const env = new FakeActionEnv();
    await runAction('fake', fakeAction({ run: async () => ({ value: 'v', failure: new Error('x') }) }).entry, env);
    expect([env.exported, env.paths]).toEqual([{}, []]);
  });
});

describe('the step context: private directories the post step removes', () => {
  let runnerTemp: string;
  beforeEach(() => (runnerTemp = mkdtempSync(join(tmpdir(), 'action-ctx-'))));
  afterEach(() => rmSync(runnerTemp, { recursive: true, force: true }));

  it('records each private directory in the state at once, then the post entry removes them all', async () => {
    const env = new FakeActionEnv({}, { RUNNER_TEMP: runnerTemp });
    let dirs: string[] = [];
    const entry = defineAction({
      parse: () => 'x',
      load: async () => ({
        deps: (s: StepContext) => s,
        run: async (_: string, s: StepContext) => {
          const a = s.privateDir('one');
          a.write('secret.yaml', 'k: v');
          const b = s.privateDir('two');
          dirs = [a.path, b.path];
          return {};
        },
      }),
      outputs: () => ({}),
      summary: () => new SummaryBuilder(),
    });
    await runAction('ctx', entry, env);
    expect(env.failed).toBeUndefined();
    expect(JSON.parse(env.state[StateKey.CleanupPaths]!)).toEqual(dirs);
    for (const d of dirs) {
      expect(dirname(d)).toBe(runnerTemp);
      expect(statSync(d).mode & 0o777).toBe(0o700);
    }
    expect(statSync(join(dirs[0]!, 'secret.yaml')).mode & 0o777).toBe(0o600);

    const post = new FakeActionEnv();
    post.state[StateKey.CleanupPaths] = env.state[StateKey.CleanupPaths]!;
    await runAction('post', cleanupEntry('test files'), post);
    expect(dirs.map(existsSync)).toEqual([false, false]);
    expect(post.log.lines).toEqual([`removed ${dirs.join(', ')} (test files)`]);
  });

  it('a post step with nothing recorded says so and passes', async () => {
    const post = new FakeActionEnv();
    await runAction('post', cleanupEntry('test files'), post);
    expect([post.log.lines, post.failed]).toEqual([['nothing to clean up'], undefined]);
  });
});

/**
 * The layout every action shares (README, Architecture): main.ts wires defineAction; inputs.ts, run.ts and
 * summary.ts beside it. And what makes a bad input fail in milliseconds: main.ts loads, before the inputs are
 * checked, nothing of the Kubernetes, Kafka or OCI clients (they come with run.ts, behind a dynamic import).
 */
describe('the actions\' shared layout', () => {
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const actionsDir = join(root, 'src', 'actions');
  const actions = readdirSync(actionsDir).filter((d) => existsSync(join(actionsDir, d, 'main.ts'))).sort();
  const HEAVY = ['@kubernetes/client-node', '@platformatic/kafka', 'oci-common', 'oci-containerengine'];

  /** Every module main.ts loads before its first await: static value imports, followed through relative files. */
  function staticClosure(entry: string): { files: string[]; packages: string[] } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const queue = [entry];
    const follow = (from: string, spec: string): void => {
      if (spec.startsWith('.')) queue.push(resolve(dirname(from), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    };
    while (queue.length) {
      const file = queue.pop()!;
      if (files.has(file)) continue;
      files.add(file);
      const source = readFileSync(file, 'utf8');
      // `import x from`, `import { a, type B } from`, `export { c } from`; not `import type` and not `import { type A }` alone.
      for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\s)([\w$*{},\s]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
        const [, clause = '', spec = ''] = m;
        if (/^\{[^}]*\}$/.test(clause.trim()) && clause.replace(/[{}]/g, '').split(',').every((x) => /^\s*type\s/.test(x) || !x.trim())) continue;
        follow(file, spec);
      }
      // `import '...'` (for its effects).
      for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) follow(file, m[1]!);
    }
    return { files: [...files].map((f) => f.slice(root.length + 1)).sort(), packages: [...packages].sort() };
  }

  it('finds the five actions', () => {
    expect(actions).toEqual(['dapr-install', 'helm-deploy', 'oke-login', 'redpanda-topics', 'verify-events']);
  });

  it.each(actions)('%s: main.ts, inputs.ts, run.ts and summary.ts; main.ts only wires defineAction', (name) => {
    for (const f of ['main.ts', 'inputs.ts', 'run.ts', 'summary.ts']) expect(`${f}: ${existsSync(join(actionsDir, name, f))}`).toBe(`${f}: true`);
    const main = readFileSync(join(actionsDir, name, 'main.ts'), 'utf8');
    expect(main).toMatch(/await runAction\(\s*'[^']+',\s*defineAction\(\{/);
    expect(main).toContain("load: () => import('./run.js'),");
    expect(main).toContain('outputs: outputsOf,');
    expect(main).toContain('summary: renderSummary,');
    expect(main.split('\n').length).toBeLessThan(25);
  });

  it.each(actions)('%s: run.ts exports run and deps, summary.ts outputsOf and renderSummary', async (name) => {
    const [run, summary] = await Promise.all([import(join(actionsDir, name, 'run.ts')), import(join(actionsDir, name, 'summary.ts'))]);
    expect([typeof run.run, typeof run.deps, typeof summary.outputsOf, typeof summary.renderSummary]).toEqual(['function', 'function', 'function', 'function']);
  });

  it.each(actions)('%s: main.ts loads no Kubernetes, Kafka or OCI client before the inputs are checked', (name) => {
    const { files, packages } = staticClosure(join(actionsDir, name, 'main.ts'));
    expect(files).toContain(`src/actions/${name}/inputs.ts`);
    expect(files).not.toContain(`src/actions/${name}/run.ts`);
    expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  it('the closure check sees a heavy import (it can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'closure-'));
    try {
      mkdirSync(join(dir, 'lib'));
      writeFileSync(join(dir, 'main.ts'), "import type { A } from './lib/types.js';\nimport { type B } from './lib/types.js';\nimport { x } from './lib/x.js';\nconst l = () => import('./lib/late.js');\n");
      writeFileSync(join(dir, 'lib', 'x.ts'), "import { CoreV1Api } from '@kubernetes/client-node';\nexport const x = CoreV1Api;\n");
      writeFileSync(join(dir, 'lib', 'types.ts'), "import { Admin } from '@platformatic/kafka';\nexport type A = Admin;\nexport type B = A;\n");
      writeFileSync(join(dir, 'lib', 'late.ts'), "import 'oci-common';\n");
      expect(staticClosure(join(dir, 'main.ts')).packages).toEqual(['@kubernetes/client-node']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
