import type { UpgradeOptions } from '../../../src/helm/args.js';
import { computeReleaseDiff, dryRunArgs, manifestOfReleaseJson, type DiffSources } from '../../../src/helm/diff-source.js';
import type { LiveObject } from '../../../src/helm/diff.js';

const upgrade: UpgradeOptions = { release: 'todo', chart: '/w/chart', namespace: 'apps', createNamespace: false, valuesFiles: ['/t/secret-values.yaml'], set: [], setString: [], setFile: [], timeoutMs: 60_000, wait: true, rollbackOnFailure: true, dryRun: false, historyMax: 10 };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('dryRunArgs', () => {
  it.each([3, 4] as const)('Helm %i: the upgrade\'s own flags, server-side, Secrets kept for the in-memory comparison, JSON, no wait', (major) => {
    expect(dryRunArgs(upgrade, major)).toEqual(['upgrade', 'todo', '/w/chart', '--install', '--namespace', 'apps', '--timeout', '60s', '--values', '/t/secret-values.yaml', '--history-max', '10', '--dry-run=server', '--output', 'json']);
  });
});

describe('manifestOfReleaseJson', () => {
  it('reads the manifest, skipping what helm printed before the JSON', () => {
    expect(manifestOfReleaseJson('WARNING: x\n{"name":"todo","manifest":"---\\nkind: A\\n"}')).toBe('---\nkind: A\n');
  });
  it.each([
    ['not JSON', 'helm printed no release JSON for the dry run'],
    ['{"name":"todo"}', 'the release JSON of helm\'s dry run has no manifest'],
  ])('%s', (text, message) => expect(() => manifestOfReleaseJson(text)).toThrow(message));
});

function sources(proposed: string, previous: string | undefined, live: Record<string, LiveObject>): DiffSources & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    proposed: async () => proposed,
    previous: async () => previous,
    read: async (ref) => {
      reads.push(`${ref.kind}/${ref.namespace}/${ref.name}`);
      return live[`${ref.kind}/${ref.name}`] ?? { state: 'absent' };
    },
  };
}

describe('computeReleaseDiff', () => {
  const proposed = ['apiVersion: v1', 'kind: Secret', 'metadata: {name: db}', 'stringData: {password: n3w-passw0rd}', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: cfg}', 'data:', '  note: the password is n3w-passw0rd', '  dsn: "postgres://u:s3cret-from-values@db"'].join('\n');
  const previous = ['apiVersion: v1', 'kind: Secret', 'metadata: {name: db}', 'stringData: {password: old-passw0rd}', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: gone, namespace: other}', 'data: {a: b}'].join('\n');
  const live: Record<string, LiveObject> = {
    'Secret/db': { state: 'found', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'apps' }, data: { password: b64('old-passw0rd') } } },
    'ConfigMap/gone': { state: 'found', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace: 'other' }, data: { a: 'b' } } },
  };

  it('reads each object once, where it lives, and diffs the three views', async () => {
    const s = sources(proposed, previous, live);
    const r = await computeReleaseDiff(s, 'apps');
    expect(s.reads.sort()).toEqual(['ConfigMap/apps/cfg', 'ConfigMap/other/gone', 'Secret/apps/db']);
    expect(r.resources).toBe(3);
    expect(r.diff.changes.map((c) => `${c.action} ${c.title}`)).toEqual(['change Secret/db', 'add ConfigMap/cfg', 'remove other/ConfigMap/gone']);
    expect(r.diff.changes[0]!.secretKeys).toEqual({ added: [], removed: [], changed: ['password'] });
  });

  it('no Secret value anywhere, even one a chart repeats in a ConfigMap; and the step\'s own secrets are redacted too', async () => {
    const r = await computeReleaseDiff(sources(proposed, previous, live), 'apps', (t) => t.split('s3cret-from-values').join('***'));
    const text = JSON.stringify(r);
    for (const v of ['n3w-passw0rd', 'old-passw0rd', b64('n3w-passw0rd'), b64('old-passw0rd'), 's3cret-from-values']) expect(text).not.toContain(v);
    expect(r.diff.changes[1]!.lines).toContain('+  note: the password is ***');
    expect(r.diff.changes[1]!.lines.find((l) => l.includes('dsn:'))).toMatch(/^\+ {2}dsn: '?postgres:\/\/u:\*\*\*@db'?$/);
  });

  it('a first install (no release) shows every object added', async () => {
    const r = await computeReleaseDiff(sources(proposed, undefined, {}), 'apps');
    expect(r.diff.changes.map((c) => c.action)).toEqual(['add', 'add']);
  });

  it('a manifest that is not Kubernetes objects is an error naming it', async () => {
    await expect(computeReleaseDiff(sources('- a', undefined, {}), 'apps')).rejects.toThrow("the manifest of helm's dry run, document 1, is not a Kubernetes object");
  });
});
