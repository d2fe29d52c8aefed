import { HIDDEN, redactDiff, secretValues, valueRedactor } from '../../../src/helm/diff-secrets.js';
import { diffRelease, equivalentScalars, objectsToRead, parseManifest, resourceKey, type KubeObject, type LiveObject, type ReleaseDiff } from '../../../src/helm/diff.js';

const NS = 'apps';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function deployment(o: { image?: string; replicas?: number; extra?: Record<string, unknown>; container?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: o.image ?? 'app:1', ports: [{ containerPort: 8080 }], ...o.container }], ...o.extra } },
    },
  };
}

/** An object read field by field, as the API server's answer is built below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test objects are built and edited field by field
type Loose = Record<string, any>;

/** What the API server returns for an object: the chart's fields plus defaults, status and bookkeeping. */
function asLive(obj: KubeObject, mutate: (o: Loose) => void = () => undefined): LiveObject {
  const o = JSON.parse(JSON.stringify(obj)) as Loose;
  o.metadata = { ...o.metadata, namespace: NS, uid: 'u-1', resourceVersion: '42', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'helm' }], annotations: { ...o.metadata.annotations, 'meta.helm.sh/release-name': 'r', 'meta.helm.sh/release-namespace': NS, 'deployment.kubernetes.io/revision': '3' }, labels: { ...o.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm' } };
  o.status = { replicas: 1, readyReplicas: 1 };
  if (o.kind === 'Deployment') {
    o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    o.spec.revisionHistoryLimit = 10;
    const c = o.spec.template.spec.containers[0];
    c.terminationMessagePath = '/dev/termination-log';
    c.imagePullPolicy ??= 'IfNotPresent';
    c.ports = c.ports.map((p: object) => ({ ...p, protocol: 'TCP' }));
    o.spec.template.spec.restartPolicy = 'Always';
    o.spec.template.spec.dnsPolicy = 'ClusterFirst';
  }
  if (o.kind === 'Secret' && o.stringData) {
    o.data = { ...o.data, ...Object.fromEntries(Object.entries(o.stringData as Record<string, string>).map(([k, v]) => [k, b64(v)])) };
    delete o.stringData;
  }
  mutate(o);
  return { state: 'found', object: o as KubeObject };
}

function diff(proposed: KubeObject[], previous: KubeObject[], live: Array<[KubeObject, LiveObject]>): ReleaseDiff {
  return diffRelease({ releaseNamespace: NS, proposed, previous, live: new Map(live.map(([o, l]) => [resourceKey(o, NS), l])) });
}

const secret = (stringData: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, type: 'Opaque', stringData, ...extra });
const configMap = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data });

describe('diffRelease', () => {
  it('an upgrade that renders what the cluster has changes nothing (defaults, status, bookkeeping and Helm\'s own metadata ignored)', () => {
    const d = deployment();
    expect(diff([d], [d], [[d, asLive(d)]])).toEqual({ changes: [], unchanged: 1 });
  });

  it.each<[string, KubeObject, (o: Loose) => void]>([
    ['CPU 0.5 and 500m are the same quantity', deployment({ container: { resources: { requests: { cpu: '0.5', memory: '1Gi' } } } }), (o) => (o.spec.template.spec.containers[0].resources = { requests: { cpu: '500m', memory: '1024Mi' } })],
    ['an empty list the server dropped', deployment({ extra: { tolerations: [] } }), () => undefined],
    ['zero values the server does not store (omitempty)', { ...deployment(), spec: { ...(deployment().spec as object), minReadySeconds: 0, paused: false } }, () => undefined],
    ['a container a webhook added (no one in the chart set it)', deployment(), (o) => o.spec.template.spec.containers.push({ name: 'daprd', image: 'daprd:1' })],
  ])('equal: %s', (_name, proposed, mutate) => {
    expect(diff([proposed], [], [[proposed, asLive(proposed, mutate)]]).changes).toEqual([]);
  });

  it('only resource quantities are compared as quantities: an annotation "1" after "1.0" is a change', () => {
    const after = { ...deployment(), metadata: { name: 'web', labels: { app: 'web' }, annotations: { version: '1' } } };
    const before = { ...deployment(), metadata: { name: 'web', labels: { app: 'web' }, annotations: { version: '1.0' } } };
    expect(diff([after], [before], [[after, asLive(before)]]).changes[0]!.lines).toEqual(expect.arrayContaining(["-    version: '1.0'", "+    version: '1'"]));
  });

  it('a changed image and replica count: a unified diff of the YAML with both', () => {
    const before = deployment();
    const after = deployment({ image: 'app:2', replicas: 3 });
    const r = diff([after], [before], [[after, asLive(before)]]);
    expect(r.unchanged).toBe(0);
    expect(r.changes).toHaveLength(1);
    const c = r.changes[0]!;
    expect(c).toMatchObject({ action: 'change', kind: 'Deployment', name: 'web', title: 'Deployment/web' });
    expect(c.lines).toEqual(expect.arrayContaining(['-  replicas: 1', '+  replicas: 3', '-          image: app:1', '+          image: app:2']));
    expect(c.lines[0]).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    expect(c.lines.join('\n')).not.toMatch(/managedFields|resourceVersion|terminationMessagePath|readyReplicas|meta\.helm\.sh/);
  });

  it('a field the last revision set and the chart no longer sets shows as removed', () => {
    const before = deployment({ extra: { nodeSelector: { pool: 'a' } } });
    const after = deployment();
    const c = diff([after], [before], [[after, asLive(before)]]).changes[0]!;
    expect(c.lines.filter((l) => /^[-+]/.test(l) && !l.startsWith('@@'))).toEqual(['-      nodeSelector:', '-        pool: a']);
  });

  it('a null in the chart removes the live field', () => {
    const after = deployment({ extra: { nodeSelector: null } });
    const c = diff([after], [], [[after, asLive(deployment({ extra: { nodeSelector: { pool: 'a' } } }))]]).changes[0]!;
    expect(c.lines).toEqual(expect.arrayContaining(['-      nodeSelector:', '-        pool: a']));
  });

  it('drift: a value changed in the cluster by hand shows as what the upgrade sets back', () => {
    const d = deployment();
    const c = diff([d], [d], [[d, asLive(d, (o) => (o.spec.replicas = 5))]]).changes[0]!;
    expect(c.lines).toEqual(expect.arrayContaining(['-  replicas: 5', '+  replicas: 1']));
  });

  it('added, removed, kept and already-gone resources', () => {
    const added = configMap({ a: '1' });
    const removed = { ...configMap({ b: '2' }), metadata: { name: 'old' } };
    const kept = { ...configMap({ c: '3' }), metadata: { name: 'kept', annotations: { 'helm.sh/resource-policy': 'keep' } } };
    const gone = { ...configMap({}), metadata: { name: 'gone' } };
    const r = diff([added], [removed, kept, gone], [
      [added, { state: 'absent' }],
      [removed, asLive(removed)],
      [kept, asLive(kept)],
      [gone, { state: 'absent' }],
    ]);
    expect(r.changes.map((c) => [c.action, c.title])).toEqual([
      ['add', 'ConfigMap/settings'],
      ['remove', 'ConfigMap/old'],
    ]);
    expect(r.unchanged).toBe(1);
    expect(r.changes[0]!.lines).toEqual(['@@ -0,0 +1,6 @@', '+apiVersion: v1', '+kind: ConfigMap', '+metadata:', '+  name: settings', '+data:', "+  a: '1'"]);
    expect(r.changes[1]!.lines.every((l) => l.startsWith('-') || l.startsWith('@@'))).toBe(true);
    expect(r.changes[1]!.lines).toContain("-  b: '2'");
  });

  it('a resource the cluster will not show is not compared, with the reason', () => {
    const d = deployment();
    expect(diff([d], [], [[d, { state: 'unreadable', reason: 'HTTP 403 Forbidden' }]]).changes).toEqual([
      { action: 'unknown', kind: 'Deployment', name: 'web', namespace: undefined, title: 'Deployment/web', lines: [], note: 'could not read it from the cluster: HTTP 403 Forbidden' },
    ]);
  });

  it('names the namespace of an object outside the release\'s', () => {
    const other = { ...configMap({}), metadata: { name: 'x', namespace: 'other' } };
    expect(diff([other], [], [[other, { state: 'absent' }]]).changes[0]!.title).toBe('other/ConfigMap/x');
  });

  it('a ConfigMap value of many lines: only the changed lines, with context', () => {
    const text = (n: number) => Array.from({ length: 40 }, (_, i) => (i === n ? 'changed line' : `line ${i}`)).join('\n');
    const before = configMap({ 'app.conf': text(-1) });
    const after = configMap({ 'app.conf': text(20) });
    const c = diff([after], [before], [[after, asLive(before)]]).changes[0]!;
    expect(c.lines.filter((l) => /^[-+]/.test(l))).toEqual(['-    line 20', '+    changed line']);
  });
});

describe('diffRelease: Secrets', () => {
  const values = ['admin', 'old-password-1', 'new-password-2', 't0ken-value-3', 'legacy-value-4', 'unmanaged-5'];
  const before = secret({ user: 'admin', password: 'old-password-1', legacy: 'legacy-value-4' });
  const after = secret({ user: 'admin', password: 'new-password-2', token: 't0ken-value-3' });
  const live = asLive(before, (o) => (o.data.unmanaged = b64('unmanaged-5')));
  const r = diff([after], [before], [[after, live]]);
  const text = JSON.stringify(r);

  it('lists the keys added, removed and changed; a key the chart never set is not the upgrade\'s', () => {
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]).toMatchObject({ action: 'change', title: 'Secret/db', secretKeys: { added: ['token'], removed: ['legacy'], changed: ['password'] } });
    expect(r.changes[0]!.lines).toEqual(expect.arrayContaining([`-  legacy: ${HIDDEN}`, `+  token: ${HIDDEN}`]));
  });

  it.each(values)('never shows the value %s, raw or base64', (v) => {
    expect(text).not.toContain(v);
    expect(text).not.toContain(b64(v));
  });

  it('data (base64) and stringData of the same values are equal', () => {
    const asData = secret({}, { data: { user: b64('admin') } });
    delete (asData as Record<string, unknown>).stringData;
    const s = secret({ user: 'admin' });
    expect(diff([asData], [s], [[asData, asLive(s)]])).toEqual({ changes: [], unchanged: 1 });
  });

  it('an added Secret names its keys; a removed one too; values nowhere', () => {
    const s = secret({ b: 'value-b-123', a: 'value-a-123' });
    const added = diff([s], [], [[s, { state: 'absent' }]]);
    expect(added.changes[0]).toMatchObject({ action: 'add', secretKeys: { added: ['a', 'b'], removed: [], changed: [] } });
    const removed = diff([], [s], [[s, asLive(s)]]);
    expect(removed.changes[0]).toMatchObject({ action: 'remove', secretKeys: { added: [], removed: ['a', 'b'], changed: [] } });
    expect(JSON.stringify([added, removed])).not.toMatch(/value-[ab]-123|dmFsdWUt/);
  });

  it('a change of type only is a change with no key named', () => {
    const s = secret({ a: 'x-value' });
    const t = { ...s, type: 'kubernetes.io/basic-auth' };
    const c = diff([t], [s], [[t, asLive(s)]]).changes[0]!;
    expect(c.secretKeys).toEqual({ added: [], removed: [], changed: [] });
    expect(c.lines).toEqual(expect.arrayContaining(['-type: Opaque', '+type: kubernetes.io/basic-auth']));
  });

  it('the last-applied annotation (which holds the whole Secret) is never compared or shown', () => {
    const s = secret({ a: 'x-value-9' });
    const c = diff([s], [s], [[s, asLive(s, (o) => (o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify({ stringData: { a: 'x-value-9' } })))]]);
    expect(c).toEqual({ changes: [], unchanged: 1 });
  });
});

describe('parseManifest', () => {
  it('reads helm\'s stream: comments, empty documents and Lists', () => {
    const text = ['---', '# Source: c/templates/a.yaml', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: a', '---', '# empty', '---', 'apiVersion: v1', 'kind: List', 'items:', '- {apiVersion: v1, kind: Service, metadata: {name: s}}'].join('\n');
    expect(parseManifest(text, 'm').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'Service/s']);
  });

  it.each([
    ['kind: ConfigMap\nmetadata: {name: a}', 'm, document 1, is not a Kubernetes object (it needs apiVersion, kind and metadata.name)'],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {}', 'm, document 1, is not a Kubernetes object'],
    ['- a\n- b', 'm, document 1, is not a Kubernetes object'],
    ['a: [1', 'm is not valid YAML'],
  ])('refuses %j', (text, message) => expect(() => parseManifest(text, 'm')).toThrow(message));
});

describe('helpers', () => {
  it.each<[unknown, unknown, boolean]>([
    ['500m', '0.5', true],
    ['1Gi', '1024Mi', true],
    ['1G', '1Gi', false],
    [8080, '8080', true],
    ['a', 'b', false],
    [true, 'true', true],
    [null, 'null', false],
  ])('equivalentScalars(%j, %j) = %s', (a, b, same) => expect(equivalentScalars(a, b)).toBe(same));
  it('outside quantities, only the same text is equal', () => expect(equivalentScalars('500m', '0.5', false)).toBe(false));

  it('the key ignores the version, and defaults the namespace', () => {
    const a = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } };
    const b = { apiVersion: 'apps/v1beta2', kind: 'Deployment', metadata: { name: 'x', namespace: NS } };
    expect(resourceKey(a, NS)).toBe(resourceKey(b, NS));
    expect(objectsToRead([a], [b], NS)).toHaveLength(1);
  });

  it('secretValues: raw and base64, from data and stringData; none for other kinds', () => {
    expect(secretValues(secret({ a: 'plain-1' }, { data: { b: b64('coded-2') } })).sort()).toEqual([b64('coded-2'), 'coded-2', b64('coded-2'), 'plain-1', b64('plain-1')].sort());
    expect(secretValues(configMap({ a: 'x' }))).toEqual([]);
  });

  it('valueRedactor masks whole values and each line of multi-line ones, longest first, short ones never', () => {
    const redact = valueRedactor(['abc', 'secret-1', 'secret-12', '-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----']);
    expect(redact('x secret-12 secret-1 abc')).toBe('x *** *** abc');
    expect(redact('    MIIEpAIBAAKCAQEA')).toBe('    ***');
  });

  it('redactDiff applies to lines, titles and notes', () => {
    const r = redactDiff({ unchanged: 0, changes: [{ action: 'change', kind: 'K', name: 'n', title: 'K/n', lines: ['+ pw: s3cret'], note: 'why s3cret' }] }, (t) => t.replace('s3cret', '***'));
    expect(r.changes[0]).toMatchObject({ lines: ['+ pw: ***'], note: 'why ***' });
  });
});
