import { KubeConfig, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../../src/core/log.js';
import { apiError } from '../../../src/kube/rest.js';
import { cannotRoll, daprdContainer, listDaprSidecars, outdatedSidecars, podOwner, readSidecarImage, restartWorkloads, sidecarVersion, type SidecarPod } from '../../../src/dapr/sidecars.js';

describe('sidecarVersion', () => {
  it.each<[string, string | undefined]>([
    ['ghcr.io/dapr/daprd:1.18.2', '1.18.2'],
    ['ghcr.io/dapr/daprd:1.18.2-mariner', '1.18.2'],
    ['docker.io/daprio/daprd:v1.17.0', '1.17.0'],
    ['daprd:1.16.4', '1.16.4'],
    ['registry.local:5000/mirror/dapr/daprd:1.18.2', '1.18.2'],
    ['registry.local:5000/mirror/dapr/daprd', undefined],
    ['localhost:5000/daprd', undefined],
    ['ghcr.io/dapr/daprd@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', undefined],
    ['ghcr.io/dapr/daprd:1.18.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '1.18.2'],
    ['ghcr.io/dapr/daprd:1.18.0-rc.3', '1.18.0-rc.3'],
    ['ghcr.io/dapr/daprd:1.18.0-rc.3-mariner', '1.18.0-rc.3'],
    ['ghcr.io/dapr/daprd:1.18.2-stablecomponents', '1.18.2'],
    ['ghcr.io/dapr/daprd:1.18.12', '1.18.12'],
    ['ghcr.io/dapr/daprd:edge', undefined],
    ['ghcr.io/dapr/daprd:latest', undefined],
    ['ghcr.io/dapr/daprd:1.18', undefined],
    ['ghcr.io/dapr/daprd:1.18.2x', undefined],
    ['', undefined],
  ])('%s -> %s', (image, version) => expect(sidecarVersion(image)).toBe(version));
});

describe('outdatedSidecars', () => {
  const pod = (name: string, image: string): SidecarPod => {
    const version = sidecarVersion(image);
    return { namespace: 'shop', pod: name, image, ...(version ? { version } : {}) };
  };
  const injected = 'ghcr.io/dapr/daprd:1.18.2';
  it.each<[string, SidecarPod, { version: string; sidecarImage?: string }, boolean]>([
    ['older version', pod('a', 'ghcr.io/dapr/daprd:1.17.5'), { version: '1.18.2', sidecarImage: injected }, true],
    ['newer version (after a downgrade)', pod('a', 'ghcr.io/dapr/daprd:1.18.3'), { version: '1.18.2' }, true],
    ['release candidate of the same version', pod('a', 'ghcr.io/dapr/daprd:1.18.2-rc.1'), { version: '1.18.2' }, true],
    ['same version', pod('a', injected), { version: '1.18.2', sidecarImage: injected }, false],
    ['same version, v-prefixed control-plane version', pod('a', injected), { version: 'v1.18.2' }, false],
    ['same version, another variant and registry', pod('a', 'mirror:5000/daprd:1.18.2-mariner'), { version: '1.18.2', sidecarImage: injected }, false],
    ['unknown version, image differs from the injector\'s', pod('a', 'ghcr.io/dapr/daprd@sha256:aa'), { version: '1.18.2', sidecarImage: injected }, true],
    ['unknown version, the injector\'s image', pod('a', 'ghcr.io/dapr/daprd:edge'), { version: '1.18.2', sidecarImage: 'ghcr.io/dapr/daprd:edge' }, false],
    ['unknown version, the injector\'s image without docker.io/', pod('a', 'docker.io/daprio/daprd:edge'), { version: '1.18.2', sidecarImage: 'daprio/daprd:edge' }, false],
    ['unknown version, injector image unknown', pod('a', 'ghcr.io/dapr/daprd@sha256:aa'), { version: '1.18.2' }, false],
  ])('%s', (_n, p, cp, outdated) => expect(outdatedSidecars([p], cp)).toEqual(outdated ? [p] : []));

  it('keeps the order of the pods it keeps', () => {
    const pods = [pod('a', 'r/daprd:1.17.0'), pod('b', injected), pod('c', 'r/daprd:1.16.0')];
    expect(outdatedSidecars(pods, { version: '1.18.2' }).map((p) => p.pod)).toEqual(['a', 'c']);
  });
});

describe('apiError', () => {
  it.each<[string, unknown, string]>([
    ['a Status body as text', { code: 403, body: '{"kind":"Status","reason":"Forbidden","message":"deployments.apps \\"web\\" is forbidden"}' }, 'HTTP 403 Forbidden: deployments.apps "web" is forbidden'],
    ['a Status body as an object', { code: 409, body: { reason: 'Conflict', message: 'the object has been modified' } }, 'HTTP 409 Conflict: the object has been modified'],
    ['a body that is no JSON', { code: 502, body: 'Bad Gateway' }, 'HTTP 502 Bad Gateway'],
    ['no body', { code: 500 }, 'HTTP 500'],
    ['not an API error', new Error('connect ECONNREFUSED 127.0.0.1:6443\nmore'), 'connect ECONNREFUSED 127.0.0.1:6443'],
  ])('%s', (_n, err, text) => expect(apiError(err)).toBe(text));
});

describe('daprdContainer', () => {
  it.each<[string, V1Pod, string | undefined]>([
    ['a regular container', { spec: { containers: [{ name: 'app' }, { name: 'daprd', image: 'd:1' }] } }, 'd:1'],
    ['a native sidecar (init container, restartPolicy Always)', { spec: { initContainers: [{ name: 'daprd', image: 'd:2', restartPolicy: 'Always' }], containers: [{ name: 'app' }] } }, 'd:2'],
    ['none', { spec: { containers: [{ name: 'app', image: 'daprd:1' }] } }, undefined],
  ])('%s', (_n, pod, image) => expect(daprdContainer(pod)?.image).toBe(image));
});

describe('podOwner', () => {
  const ref = (kind: string, name: string, apiVersion = 'apps/v1', controller = true): V1OwnerReference => ({ apiVersion, kind, name, uid: `uid-${name}`, controller });
  const rsOwners: Record<string, V1OwnerReference | undefined | null> = {
    'web-7d9f': ref('Deployment', 'web'),
    'bare-1': undefined,
    'gone-1': null,
    'canary-5c': ref('Rollout', 'canary', 'argoproj.io/v1alpha1'),
  };
  const lookup = (_ns: string, name: string) => Promise.resolve(rsOwners[name]);
  it.each<[string, V1OwnerReference[] | undefined, Pick<SidecarPod, 'owner' | 'ownerNote'>]>([
    ['ReplicaSet of a Deployment', [ref('ReplicaSet', 'web-7d9f')], { owner: { kind: 'Deployment', namespace: 'shop', name: 'web' } }],
    ['StatefulSet', [ref('StatefulSet', 'db')], { owner: { kind: 'StatefulSet', namespace: 'shop', name: 'db' } }],
    ['DaemonSet', [ref('DaemonSet', 'agent')], { owner: { kind: 'DaemonSet', namespace: 'shop', name: 'agent' } }],
    ['Job', [ref('Job', 'migrate', 'batch/v1')], { ownerNote: 'Job/migrate' }],
    ['no owner references', undefined, { ownerNote: 'no controller' }],
    ['an owner that is not the controller', [ref('StatefulSet', 'db', 'apps/v1', false)], { ownerNote: 'no controller' }],
    ['a ReplicaSet without a controller', [ref('ReplicaSet', 'bare-1')], { ownerNote: 'ReplicaSet/bare-1' }],
    ['a ReplicaSet deleted since', [ref('ReplicaSet', 'gone-1')], { ownerNote: 'ReplicaSet/gone-1 (gone)' }],
    ['a ReplicaSet of an Argo Rollout', [ref('ReplicaSet', 'canary-5c')], { ownerNote: 'Rollout/canary' }],
    ['an operator\'s StatefulSet (apps.kruise.io)', [ref('StatefulSet', 'db', 'apps.kruise.io/v1beta1')], { ownerNote: 'StatefulSet/db' }],
  ])('%s', async (_n, owners, expected) => {
    expect(await podOwner('shop', { metadata: { name: 'p', ownerReferences: owners } }, lookup)).toEqual(expected);
  });
});

describe('cannotRoll', () => {
  it.each<[string, 'Deployment' | 'StatefulSet' | 'DaemonSet', object, RegExp | undefined]>([
    ['a running Deployment', 'Deployment', { spec: {} }, undefined],
    ['a paused Deployment', 'Deployment', { spec: { paused: true } }, /is paused/],
    ['a RollingUpdate StatefulSet', 'StatefulSet', { spec: { updateStrategy: { type: 'RollingUpdate' } } }, undefined],
    ['an OnDelete StatefulSet', 'StatefulSet', { spec: { updateStrategy: { type: 'OnDelete' } } }, /OnDelete/],
    ['an OnDelete DaemonSet', 'DaemonSet', { spec: { updateStrategy: { type: 'OnDelete' } } }, /OnDelete/],
  ])('%s', (_n, kind, obj, why) => {
    const r = cannotRoll(kind, obj);
    if (why) expect(r).toMatch(why);
    else expect(r).toBeUndefined();
  });
});

// A loopback stand-in for the few API paths these functions use. Workloads behave like their controllers when
// asked to: after a patch the generation moves on at once, the status only after `rolloutMs` (never when null).
type Obj = { metadata: { name: string; namespace: string; generation?: number; ownerReferences?: V1OwnerReference[] }; spec?: Record<string, unknown>; status?: Record<string, unknown> };
interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}
const PLURAL: Record<string, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };

// With `staleWatch`, the first watch after a patch starts from the object as it was before the patch, as an API
// server's watch cache can (a watch without resourceVersion is served from it without waiting for it to catch up).
type FakeWorkload = { kind: string; obj: Obj; rolloutMs?: number | null; staleWatch?: boolean; before?: Obj };
async function fakeApi(o: { pods?: V1Pod[]; page?: number; replicaSets?: Obj[]; workloads?: FakeWorkload[]; forbid?: string[] }) {
  const requests: Req[] = [];
  const workloads = new Map((o.workloads ?? []).map((w) => [`${PLURAL[w.kind]}/${w.obj.metadata.namespace}/${w.obj.metadata.name}`, w]));
  const watchers = new Map<string, Set<ServerResponse>>();
  const timers: NodeJS.Timeout[] = [];
  const json = (res: ServerResponse, code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const status = (res: ServerResponse, code: number, reason: string, message: string) => json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  const emit = (key: string, type: string, obj: Obj) => watchers.get(key)?.forEach((w) => w.write(`${JSON.stringify({ type, object: obj })}\n`));

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const r: Req = { method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], body };
      requests.push(r);
      let m: RegExpExecArray | null;
      if (o.forbid?.includes(r.path)) return status(res, 403, 'Forbidden', `${r.path} is forbidden`);
      if (r.path === '/api/v1/pods') {
        const pods = o.pods ?? [];
        const from = Number(r.query.get('continue') ?? 0);
        const to = from + (o.page ?? Number(r.query.get('limit') ?? pods.length));
        return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { continue: to < pods.length ? String(to) : '' }, items: pods.slice(from, to) });
      }
      if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets\/([^/]+)$/.exec(r.path))) {
        const rs = o.replicaSets?.find((x) => x.metadata.namespace === m![1] && x.metadata.name === m![2]);
        return rs ? json(res, 200, { kind: 'ReplicaSet', apiVersion: 'apps/v1', ...rs }) : status(res, 404, 'NotFound', `replicasets.apps "${m[2]}" not found`);
      }
      if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|statefulsets|daemonsets)(?:\/([^/]+))?$/.exec(r.path))) {
        const [, ns, plural, name = r.query.get('fieldSelector')?.replace('metadata.name=', '')] = m;
        const key = `${plural}/${ns}/${name}`;
        const w = workloads.get(key);
        if (r.query.get('watch') === 'true') {
          res.writeHead(200, { 'content-type': 'application/json' });
          if (w) res.write(`${JSON.stringify({ type: 'ADDED', object: w.before ?? w.obj })}\n`);
          if (w) delete w.before;
          const set = watchers.get(key) ?? new Set();
          set.add(res);
          watchers.set(key, set);
          res.on('close', () => set.delete(res));
          return;
        }
        if (!w) return status(res, 404, 'NotFound', `${plural}.apps "${name}" not found`);
        if (r.method === 'GET') return json(res, 200, w.obj);
        if (r.method === 'PATCH') {
          if (w.staleWatch) w.before = structuredClone(w.obj);
          const patch = JSON.parse(body) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
          const template = (w.obj.spec!.template ?? {}) as { metadata?: { annotations?: Record<string, string> } };
          template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, ...patch.spec.template.metadata.annotations } };
          w.obj.spec!.template = template;
          const generation = (w.obj.metadata.generation ?? 1) + 1;
          w.obj.metadata.generation = generation;
          json(res, 200, w.obj);
          emit(key, 'MODIFIED', w.obj);
          if (w.rolloutMs !== null && w.rolloutMs !== undefined) {
            const want = (w.obj.spec!.replicas as number | undefined) ?? 1;
            // Observed, as the controllers write it (status computed against the new template, in the same update):
            // one new pod up, the old ones still there. Then done.
            const midway: Record<string, Record<string, unknown>> = {
              Deployment: { replicas: want + 1, updatedReplicas: 1, availableReplicas: want },
              StatefulSet: { readyReplicas: want, currentRevision: `r${generation - 1}`, updateRevision: `r${generation}` },
              DaemonSet: { desiredNumberScheduled: want, updatedNumberScheduled: 0, numberAvailable: want },
            };
            timers.push(setTimeout(() => {
              w.obj.status = { ...w.obj.status, observedGeneration: generation, ...midway[w.kind] };
              emit(key, 'MODIFIED', w.obj);
            }, w.rolloutMs / 2));
            timers.push(setTimeout(() => {
              w.obj.status = { ...w.obj.status, observedGeneration: generation, replicas: want, updatedReplicas: want, availableReplicas: want, readyReplicas: want, currentRevision: `r${generation}`, updateRevision: `r${generation}`, desiredNumberScheduled: want, updatedNumberScheduled: want, numberAvailable: want };
              emit(key, 'MODIFIED', w.obj);
            }, w.rolloutMs));
          }
          return;
        }
      }
      status(res, 404, 'NotFound', `no route for ${r.method} ${r.path}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return {
    kc,
    requests,
    close: async () => {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const owner = (kind: string, name: string, apiVersion = 'apps/v1'): V1OwnerReference => ({ apiVersion, kind, name, uid: `uid-${name}`, controller: true });
const pod = (namespace: string, name: string, o: { daprd?: string; native?: boolean; owners?: V1OwnerReference[]; phase?: string; deleting?: boolean }): V1Pod => ({
  metadata: { namespace, name, ownerReferences: o.owners, ...(o.deleting ? { deletionTimestamp: new Date('2026-11-30T11:00:00Z') } : {}) },
  spec: {
    containers: [{ name: 'app', image: 'shop/web:3' }, ...(o.daprd && !o.native ? [{ name: 'daprd', image: o.daprd }] : [])],
    ...(o.daprd && o.native ? { initContainers: [{ name: 'daprd', image: o.daprd, restartPolicy: 'Always' }] } : {}),
  },
  status: { phase: o.phase ?? 'Running' },
});

describe('listDaprSidecars', () => {
  it('finds daprd containers and native-sidecar init containers on every page, skips finished and deleted pods, and resolves owners reading each ReplicaSet once', async () => {
    const api = await fakeApi({
      page: 3,
      pods: [
        pod('shop', 'web-7d9f-a', { daprd: 'ghcr.io/dapr/daprd:1.17.0', owners: [owner('ReplicaSet', 'web-7d9f')] }),
        pod('shop', 'web-7d9f-b', { daprd: 'ghcr.io/dapr/daprd:1.17.0', owners: [owner('ReplicaSet', 'web-7d9f')] }),
        pod('shop', 'plain', { owners: [owner('ReplicaSet', 'plain-1')] }),
        pod('shop', 'db-0', { daprd: 'registry.local:5000/dapr/daprd:1.18.2-mariner', native: true, owners: [owner('StatefulSet', 'db')] }),
        pod('ops', 'agent-x', { daprd: 'ghcr.io/dapr/daprd@sha256:ab', owners: [owner('DaemonSet', 'agent')] }),
        pod('ops', 'migrate-q', { daprd: 'ghcr.io/dapr/daprd:1.17.0', owners: [owner('Job', 'migrate', 'batch/v1')] }),
        pod('ops', 'migrate-done', { daprd: 'ghcr.io/dapr/daprd:1.17.0', owners: [owner('Job', 'old', 'batch/v1')], phase: 'Succeeded' }),
        pod('ops', 'crashed', { daprd: 'ghcr.io/dapr/daprd:1.17.0', phase: 'Failed' }),
        pod('shop', 'web-old-z', { daprd: 'ghcr.io/dapr/daprd:1.16.0', owners: [owner('ReplicaSet', 'web-old')], deleting: true }),
        pod('shop', 'orphan', { daprd: 'ghcr.io/dapr/daprd:1.17.0', owners: [owner('ReplicaSet', 'gone-1')] }),
        pod('shop', 'lonely', { daprd: 'ghcr.io/dapr/daprd:1.18.2' }),
      ],
      replicaSets: [{ metadata: { namespace: 'shop', name: 'web-7d9f', ownerReferences: [owner('Deployment', 'web')] } }],
    });
    try {
      const pods = await listDaprSidecars(api.kc);
      expect(pods).toEqual([
        { namespace: 'shop', pod: 'web-7d9f-a', image: 'ghcr.io/dapr/daprd:1.17.0', version: '1.17.0', owner: { kind: 'Deployment', namespace: 'shop', name: 'web' } },
        { namespace: 'shop', pod: 'web-7d9f-b', image: 'ghcr.io/dapr/daprd:1.17.0', version: '1.17.0', owner: { kind: 'Deployment', namespace: 'shop', name: 'web' } },
        { namespace: 'shop', pod: 'db-0', image: 'registry.local:5000/dapr/daprd:1.18.2-mariner', version: '1.18.2', owner: { kind: 'StatefulSet', namespace: 'shop', name: 'db' } },
        { namespace: 'ops', pod: 'agent-x', image: 'ghcr.io/dapr/daprd@sha256:ab', owner: { kind: 'DaemonSet', namespace: 'ops', name: 'agent' } },
        { namespace: 'ops', pod: 'migrate-q', image: 'ghcr.io/dapr/daprd:1.17.0', version: '1.17.0', ownerNote: 'Job/migrate' },
        { namespace: 'shop', pod: 'orphan', image: 'ghcr.io/dapr/daprd:1.17.0', version: '1.17.0', ownerNote: 'ReplicaSet/gone-1 (gone)' },
        { namespace: 'shop', pod: 'lonely', image: 'ghcr.io/dapr/daprd:1.18.2', version: '1.18.2', ownerNote: 'no controller' },
      ]);
      const lists = api.requests.filter((r) => r.path === '/api/v1/pods');
      expect(lists.map((r) => [r.query.get('limit'), r.query.get('continue')])).toEqual([['500', null], ['500', '3'], ['500', '6'], ['500', '9']]);
      expect(api.requests.filter((r) => r.path.includes('/replicasets/')).map((r) => r.path).sort()).toEqual([
        '/apis/apps/v1/namespaces/shop/replicasets/gone-1',
        '/apis/apps/v1/namespaces/shop/replicasets/web-7d9f',
      ]);
    } finally {
      await api.close();
    }
  });

  it('says what to fix when pods may not be listed', async () => {
    const api = await fakeApi({ forbid: ['/api/v1/pods'] });
    try {
      await expect(listDaprSidecars(api.kc)).rejects.toMatchObject({ name: 'OperationError', message: 'listing pods in all namespaces: HTTP 403 Forbidden: /api/v1/pods is forbidden', hint: expect.stringMatching(/list on pods/) });
    } finally {
      await api.close();
    }
  });
});

describe('readSidecarImage', () => {
  const injector = (env: Array<{ name: string; value?: string }>): Obj => ({
    metadata: { namespace: 'dapr-system', name: 'dapr-sidecar-injector' },
    spec: { template: { spec: { containers: [{ name: 'log-shipper', image: 'x', env: [{ name: 'SIDECAR_IMAGE', value: 'not/this:1' }] }, { name: 'dapr-sidecar-injector', image: 'ghcr.io/dapr/injector:1.18.2', env }] } } },
  });
  it.each<[string, Obj | undefined, string | undefined]>([
    ['the injector container\'s SIDECAR_IMAGE', injector([{ name: 'SIDECAR_IMAGE_PULL_POLICY', value: 'IfNotPresent' }, { name: 'SIDECAR_IMAGE', value: 'ghcr.io/dapr/daprd:1.18.2' }]), 'ghcr.io/dapr/daprd:1.18.2'],
    ['another container\'s when the injector\'s has none', injector([]), 'not/this:1'],
    ['no injector Deployment', undefined, undefined],
  ])('%s', async (_n, obj, image) => {
    const api = await fakeApi({ workloads: obj ? [{ kind: 'Deployment', obj }] : [] });
    try {
      expect(await readSidecarImage(api.kc, 'dapr-system')).toBe(image);
    } finally {
      await api.close();
    }
  });
});

describe('restartWorkloads', () => {
  const now = () => new Date('2026-11-30T12:00:00Z');
  // Ready at generation 1; a wait that ignored the generation would pass at once on these numbers.
  const deployment = (namespace: string, name: string, spec: Record<string, unknown> = {}): Obj => ({
    metadata: { namespace, name, generation: 1 },
    spec: { replicas: 2, template: { metadata: { labels: { app: name } } }, ...spec },
    status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 },
  });
  const statefulSet = (namespace: string, name: string, strategy = 'RollingUpdate'): Obj => ({
    metadata: { namespace, name, generation: 1 },
    spec: { replicas: 1, updateStrategy: { type: strategy }, template: {} },
    status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, currentRevision: 'r1', updateRevision: 'r1' },
  });
  const daemonSet = (namespace: string, name: string): Obj => ({
    metadata: { namespace, name, generation: 1 },
    spec: { template: {} },
    status: { observedGeneration: 1, desiredNumberScheduled: 1, updatedNumberScheduled: 1, numberAvailable: 1 },
  });

  it('patches restartedAt on each workload once, as a strategic merge patch, then waits for the new generation to roll out', async () => {
    const rolloutMs = 300;
    const api = await fakeApi({
      workloads: [
        { kind: 'Deployment', obj: deployment('shop', 'web'), rolloutMs },
        { kind: 'StatefulSet', obj: statefulSet('shop', 'db'), rolloutMs },
        { kind: 'DaemonSet', obj: daemonSet('ops', 'agent'), rolloutMs },
      ],
    });
    try {
      const web = { kind: 'Deployment', namespace: 'shop', name: 'web' } as const;
      const results = await restartWorkloads(api.kc, [web, { kind: 'StatefulSet', namespace: 'shop', name: 'db' }, { ...web }, { kind: 'DaemonSet', namespace: 'ops', name: 'agent' }], 10_000, silentLogger, now);
      expect(results.map((r) => ({ ...r, seconds: undefined }))).toEqual([
        { ref: web, ready: true, reason: 'ready', seconds: undefined },
        { ref: { kind: 'StatefulSet', namespace: 'shop', name: 'db' }, ready: true, reason: 'ready', seconds: undefined },
        { ref: { kind: 'DaemonSet', namespace: 'ops', name: 'agent' }, ready: true, reason: 'ready', seconds: undefined },
      ]);
      // Not before the controllers finished: the old pods' readiness did not count.
      for (const r of results) expect(r.seconds).toBeGreaterThanOrEqual((rolloutMs - 20) / 1000);
      const patches = api.requests.filter((r) => r.method === 'PATCH');
      expect(patches.map((r) => r.path)).toEqual([
        '/apis/apps/v1/namespaces/shop/deployments/web',
        '/apis/apps/v1/namespaces/shop/statefulsets/db',
        '/apis/apps/v1/namespaces/ops/daemonsets/agent',
      ]);
      for (const p of patches) {
        expect(p.contentType).toBe('application/strategic-merge-patch+json');
        expect(JSON.parse(p.body)).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-30T12:00:00.000Z' } } } } });
      }
      // Every patch went out before the first wait began.
      const firstWatch = api.requests.findIndex((r) => r.query.get('watch') === 'true');
      expect(firstWatch).toBeGreaterThan(api.requests.lastIndexOf(patches[2]!));
    } finally {
      await api.close();
    }
  });

  it('does not take a watch that starts from a stale cache (the object before the patch) for the rollout', async () => {
    const rolloutMs = 500;
    const api = await fakeApi({ workloads: [{ kind: 'Deployment', obj: deployment('shop', 'web'), rolloutMs, staleWatch: true }] });
    try {
      const [r] = await restartWorkloads(api.kc, [{ kind: 'Deployment', namespace: 'shop', name: 'web' }], 10_000, silentLogger, now);
      expect(r).toMatchObject({ ready: true, reason: 'ready' });
      expect(r!.seconds).toBeGreaterThanOrEqual((rolloutMs - 20) / 1000);
      // The first watch answered "ready" from the stale object; a consistent read said otherwise; a new watch followed.
      expect(api.requests.filter((x) => x.query.get('watch') === 'true').length).toBeGreaterThanOrEqual(2);
      expect(api.requests.filter((x) => x.method === 'GET' && x.path === '/apis/apps/v1/namespaces/shop/deployments/web' && !x.query.get('watch')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await api.close();
    }
  });

  it('reports a workload whose controller never takes up the restart as not ready, with the reason, at the deadline', async () => {
    const api = await fakeApi({ workloads: [{ kind: 'Deployment', obj: deployment('shop', 'stuck'), rolloutMs: null }] });
    try {
      const [r] = await restartWorkloads(api.kc, [{ kind: 'Deployment', namespace: 'shop', name: 'stuck' }], 400, silentLogger, now);
      expect(r).toMatchObject({ ready: false, reason: 'controller has not observed generation 2 yet' });
      expect(r!.seconds).toBeGreaterThanOrEqual(0.35);
    } finally {
      await api.close();
    }
  });

  it('does not wait for what cannot roll (paused, OnDelete) or was not patched (gone, forbidden), and names why', async () => {
    const api = await fakeApi({
      workloads: [
        { kind: 'Deployment', obj: deployment('shop', 'paused', { paused: true }) },
        { kind: 'StatefulSet', obj: statefulSet('shop', 'manual', 'OnDelete') },
        { kind: 'Deployment', obj: deployment('shop', 'locked') },
      ],
      forbid: ['/apis/apps/v1/namespaces/shop/deployments/locked'],
    });
    const logged: string[] = [];
    try {
      const results = await restartWorkloads(
        api.kc,
        [
          { kind: 'Deployment', namespace: 'shop', name: 'paused' },
          { kind: 'StatefulSet', namespace: 'shop', name: 'manual' },
          { kind: 'Deployment', namespace: 'shop', name: 'deleted' },
          { kind: 'Deployment', namespace: 'shop', name: 'locked' },
        ],
        10_000,
        { ...silentLogger, info: (m) => logged.push(m), warning: (m) => logged.push(`warning: ${m}`) },
        now,
      );
      expect(results.map((r) => [r.ref.name, r.ready, r.reason])).toEqual([
        ['paused', false, expect.stringMatching(/^is paused/)],
        ['manual', false, expect.stringMatching(/^has updateStrategy OnDelete/)],
        ['deleted', false, 'not restarted: it no longer exists'],
        ['locked', false, 'not restarted: HTTP 403 Forbidden: /apis/apps/v1/namespaces/shop/deployments/locked is forbidden'],
      ]);
      expect(results.every((r) => r.seconds < 5)).toBe(true);
      expect(api.requests.filter((r) => r.query.get('watch') === 'true')).toEqual([]);
      expect(logged).toEqual(expect.arrayContaining([expect.stringMatching(/^Deployment\/shop\/paused: restart requested .*but it is paused/), expect.stringMatching(/^warning: Deployment\/shop\/deleted: not restarted/)]));
    } finally {
      await api.close();
    }
  });
});
