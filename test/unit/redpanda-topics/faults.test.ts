import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTopicsFile, readTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import { parseTopicsInputs } from '../../../src/actions/redpanda-topics/inputs.js';
import type { Plan, PlanError } from '../../../src/actions/redpanda-topics/model.js';
import { sameConfigValue } from '../../../src/actions/redpanda-topics/plan.js';
import { reportProblems, ReportedProblems } from '../../../src/actions/redpanda-topics/problems.js';
import { reportOutputs, planLines, problemsReport, reportSummary, type TopicsReport } from '../../../src/actions/redpanda-topics/summary.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { configError, configErrorOf, yaml } from './helpers.js';

/** Issue 22 for redpanda-topics: bad files and inputs, reported once each, all together, never echoed whole. */
const head = ['apiVersion: redpanda-topics/v1'];
const root = mkdtempSync(join(tmpdir(), 'topics-faults-'));
const workspace = join(root, 'ws');
mkdirSync(workspace);
writeFileSync(join(workspace, 'topics.yaml'), yaml(...head, 'topics:', '  - name: orders'));
writeFileSync(join(root, 'outside.yaml'), yaml(...head, 'topics:', '  - name: orders'));
const passwd = Array.from({ length: 40 }, (_, i) => `user${i}:x:${1000 + i}:${1000 + i}:User ${i}:/home/user${i}:/bin/bash`).join('\n');
writeFileSync(join(workspace, 'passwd'), passwd);

describe('topics: [] is refused (item 3)', () => {
  it('with file:line and what to do instead; allow-delete gives an empty list no meaning', async () => {
    expect(configError(() => parseTopicsFile(yaml(...head, 'topics: []'), 'topics.yaml')).message).toBe(
      'topics.yaml:2:9: topics: is an empty list. Fix: list at least 1 (The topics this file manages, at least one; a topic to delete stays listed, with state: absent.)',
    );
  });
});

describe('every problem of a file at once (item 5)', () => {
  it('reports schema errors and the name rules together, each at its line', async () => {
    const err = configError(() =>
      parseTopicsFile(yaml(...head, 'policy:', '  namePattern: "[a-z-]+"', 'topics:', '  - name: a', '    partitions: three', '  - name: Bad', '  - name: a', '  - name: _internal', '    replicas: 3'), 'topics.yaml'),
    );
    expect(err.problems.map((p) => `${p.location?.line}:${p.input}`)).toEqual([
      '6:topics[0].partitions',
      '10:topics[3].replicas',
      '8:topics[2].name', // declared twice: found although topics[0] has a schema error
      '9:topics[3].name', // internal name: found although topics[3] has a schema error
      '7:topics[1].name', // policy.namePattern
      '9:topics[3].name', // policy.namePattern
    ]);
    expect(err.message).toContain('topic "a" is declared twice (first at line 5)');
    expect(err.message).toContain('"Bad" does not match policy.namePattern');
  });

  it('an invalid policy does not hide the topics\' own problems', () => {
    const err = configError(() => parseTopicsFile(yaml(...head, 'policy:', '  maxPartitions: many', 'topics:', '  - name: a', '  - name: a'), 'topics.yaml'));
    expect(err.problems.map((p) => p.input)).toEqual(['policy.maxPartitions', 'topics[1].name']);
  });
});

describe('a file that is not a topics file is never echoed whole (item 7)', () => {
  it('shows a three-line excerpt of /etc/passwd-like text', async () => {
    const err = configError(() => parseTopicsFile(passwd, 'passwd'));
    expect(err.message).toContain('(top level): must be a mapping, but is the text');
    expect(err.message).toMatch(/this is not a topics file\. It starts with:\n.*user0:x:1000/);
    expect(err.message).toMatch(/user2:x:1002.*\n.*37 more lines/);
    expect(err.message).not.toContain('user39');
    expect(err.message.length).toBeLessThan(1200);
  });

  it('a 1 MB text stays a short message', async () => {
    const big = 'y'.repeat(1024 * 1024);
    const err = configError(() => parseTopicsFile(big, 'big.txt'));
    expect(err.message.length).toBeLessThan(1000);
  });

  it('a binary file is named as such', async () => {
    const path = join(root, 'bin.dat');
    writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0, 0]));
    expect(configError(() => readTopicsFile(path, 'bin.dat')).message).toMatch(/^bin\.dat: file: bin\.dat is not a text file \(it holds NUL bytes\)/);
  });

  it('a huge key is clipped', async () => {
    const err = configError(() => parseTopicsFile(yaml(...head, `${'k'.repeat(5000)}: 1`, 'topics:', '  - name: a'), 'f.yaml'));
    expect(err.message.length).toBeLessThan(1000);
  });
});

describe('file inputs stay in the workspace unless allowed (items 7, 9)', () => {
  const env = { GITHUB_WORKSPACE: workspace };
  const base = { brokers: 'seed:9092', username: 'svc', password: 'pw-faults-1' };
  const parse = (values: Record<string, string>) => parseTopicsInputs(new Inputs(objectInputs({ ...base, ...values })), new Secrets(), env);

  it('refuses a file outside the workspace, naming allow-outside-workspace', async () => {
    expect((await configErrorOf(() => parse({ file: join(root, 'outside.yaml') }))).message).toMatch(/^file: .*outside\.yaml is outside the workspace .*set allow-outside-workspace: true/);
  });

  it('refuses ../ out of the workspace', async () => {
    expect((await configErrorOf(() => parse({ file: '../outside.yaml' }))).message).toContain('is outside the workspace');
  });

  it('reads it with allow-outside-workspace: true', async () => {
    expect((await parse({ file: join(root, 'outside.yaml'), 'allow-outside-workspace': 'true' })).topics.topics.map((t) => t.name)).toEqual(['orders']);
  });

  it('refuses a bad allow-outside-workspace value with the other problems', async () => {
    const err = await configErrorOf(() => parse({ file: 'passwd', 'allow-outside-workspace': 'maybe', brokers: 'x', mode: 'destroy' }));
    expect(err.problems.map((p) => p.input).sort()).toEqual(['(top level)', 'allow-outside-workspace', 'brokers', 'mode']);
  });

  it('reports the inputs\' and the file\'s problems in one go', async () => {
    writeFileSync(join(workspace, 'bad.yaml'), yaml(...head, 'topics:', '  - name: a', '    partitions: 0'));
    const err = await configErrorOf(() => parse({ file: 'bad.yaml', timeout: '30' }));
    expect(err.problems.map((p) => p.input)).toEqual(['timeout', 'topics[0].partitions']);
  });
});

describe('config lists compared as sets (item 6)', () => {
  it.each([
    ['cleanup.policy', 'delete,compact', 'compact,delete', true],
    ['cleanup.policy', 'compact, delete', 'delete,compact', true],
    ['cleanup.policy', 'compact', 'compact,delete', false],
    ['retention.ms', '1000', '1000', true],
    ['some.list.that.is.ordered', 'a,b', 'b,a', false],
  ])('%s: broker %j vs declared %j -> %j', (key, have, want, same) => expect(sameConfigValue(key, have, want)).toBe(same));
});

describe('plan problems: one line each, a count at the end, a capped summary (item 4)', () => {
  const errors: PlanError[] = Array.from({ length: 1000 }, (_, i) => ({
    kind: 'delete-not-allowed',
    topic: `tomb-${i}`,
    problem: 'is marked state: absent and exists, but allow-delete is false',
    fix: 'set the allow-delete input to true to delete it (its data is lost), or remove the entry to leave the topic alone',
    at: { line: i + 3, column: 5 },
  }));
  const plan: Plan = { changes: [], errors, drift: [], inSync: [] };
  const report: TopicsReport = { mode: 'apply', file: 'topics.yaml', brokers: 'seed:9092', declared: 1000, plan };

  it('never says "No changes: the cluster matches the file." when the plan has errors', async () => {
    expect(planLines(plan)).toEqual(['The plan has 1000 problems (listed below); nothing will be changed until they are fixed.']);
    expect(planLines({ ...plan, errors: errors.slice(0, 1) })[0]).toBe('The plan has 1 problem (listed below); nothing will be changed until it is fixed.');
  });

  it('logs each problem once and fails with a one-line count', async () => {
    const log = new RecordingLogger();
    const problems = errors.map((e) => ({ input: `topic ${e.topic}`, problem: e.problem, fix: e.fix, location: { file: 'topics.yaml', ...e.at } }));
    const err = reportProblems(problems, 'the plan of topics.yaml', log);
    expect(log.lines.filter((l) => l.startsWith('error: '))).toHaveLength(1000);
    expect(log.lines[0]).toBe('error: topics.yaml:3:5: topic tomb-0: is marked state: absent and exists, but allow-delete is false. Fix: set the allow-delete input to true to delete it (its data is lost), or remove the entry to leave the topic alone');
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.problems).toHaveLength(1000);
    expect(err.message).toBe('1000 problems in the plan of topics.yaml (each is listed above with its fix, and in the job summary); nothing was changed');
  });

  it('a single problem is the failure itself, not logged twice', async () => {
    const log = new RecordingLogger();
    const err = reportProblems([{ input: 'mode', problem: '"x" is not one of the allowed values', fix: 'use one of: plan, apply' }], 'the inputs', log);
    expect(log.lines).toEqual([]);
    expect(err).toBeInstanceOf(ReportedProblems);
    expect(err.message).toBe('mode: "x" is not one of the allowed values. Fix: use one of: plan, apply');
  });

  it('keeps the summary far under 1 MiB and says how many were left out', async () => {
    const md = reportSummary(report, []).toMarkdown();
    expect(md.length).toBeLessThan(100_000);
    expect(md).toContain('... and 900 more, left out here');
    expect(md).not.toContain('No changes');
  });
});

describe('every output is set when the inputs or the file are wrong (item 5)', () => {
  it('from a problems report', async () => {
    const r = problemsReport('apply', 'topics.yaml', [{ input: 'topics[0].partitions', problem: 'x', fix: 'y', location: { file: 'topics.yaml', line: 4 } }]);
    const out = reportOutputs({ ...r, planFile: '/tmp/x/plan.json' });
    expect(Object.entries(out).filter(([, v]) => v === undefined)).toEqual([]);
    expect(out).toMatchObject({ changed: false, 'has-changes': false, creates: 0, errors: 1, 'plan-file': '/tmp/x/plan.json' });
    expect(out.plan).toMatchObject({ changed: false, problems: [expect.objectContaining({ input: 'topics[0].partitions' })] });
    expect(reportSummary(r, []).toMarkdown()).toContain('topics.yaml:4: topics[0].partitions: x. Fix: y');
  });
});
