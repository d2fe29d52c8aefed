import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { revisionsFromStorage } from '../../src/helm/storage.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import { KubeRest, namespaceExists } from '../../src/kube/rest.js';
import { stack } from '../support/stack.js';

/**
 * The light client (src/kube/rest.ts) against the stack's real API server, authenticated the ways users'
 * kubeconfigs do it: the stack's client certificate, and a ServiceAccount token handed over by an exec plugin
 * (as OKE's, EKS's and GKE's kubeconfigs do) or read from a token file; TLS checked against the cluster CA.
 */
const kc = loadKubeConfig(stack.kubeconfig());
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const namespace = `kube-rest-${randomUUID().slice(0, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'kube-rest-it-'));
let token = '';

/** The stack's kubeconfig with its user replaced. */
function kubeconfigWith(user: Record<string, unknown>): string {
  const doc = load(readFileSync(stack.kubeconfig(), 'utf8')) as { users: Array<{ name: string; user: unknown }>; contexts: Array<{ context: { user: string } }> };
  doc.users = [{ name: 'sa', user }];
  for (const c of doc.contexts) c.context.user = 'sa';
  const file = join(dir, `config-${randomUUID().slice(0, 6)}`);
  writeFileSync(file, dump(doc), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
  // May read this namespace's pods and secrets (Helm's records), nothing else.
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/log', 'secrets'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createNamespacedRoleBinding({ namespace, body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }] } });
  token = (await core.createNamespacedServiceAccountToken({ name: 'reader', namespace, body: { spec: { expirationSeconds: 600 } } })).status?.token ?? '';
  // A Helm release record, as Helm stores it (labels only matter here).
  await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'sh.helm.release.v1.web.v1', labels: { owner: 'helm', name: 'web', status: 'deployed', version: '1' } }, type: 'helm.sh/release.v1', data: { release: Buffer.from('x'.repeat(4096)).toString('base64') } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('KubeRest on the real API server', () => {
  it('reads with the stack kubeconfig (client certificate, cluster CA) itself, not through client-node', async () => {
    const kube = KubeRest.fromKubeconfig(stack.kubeconfig());
    expect(kube.via).toBe('light');
    await expect(namespaceExists(kube, namespace)).resolves.toBe(true);
    await expect(namespaceExists(kube, `${namespace}-missing`)).resolves.toBe(false);
    expect((await revisionsFromStorage(kube, 'web', namespace, undefined))?.map((r) => [r.revision, r.status])).toEqual([[1, 'deployed']]);
  });

  it('authenticates with the token an exec plugin prints, masks it, and the API server enforces that identity', async () => {
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\ncat '${join(dir, 'exec-token')}' | sed 's/^/{"apiVersion":"client.authentication.k8s.io\\/v1beta1","kind":"ExecCredential","status":{"token":"/; s/$/"}}/'\n`);
    writeFileSync(join(dir, 'exec-token'), token, { mode: 0o600 });
    chmodSync(plugin, 0o700);
    const masked: string[] = [];
    const kube = KubeRest.fromKubeconfig(kubeconfigWith({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin, interactiveMode: 'Never' } }), { onSecret: (v) => masked.push(v) });
    expect(kube.via).toBe('light');
    expect((await revisionsFromStorage(kube, 'web', namespace, undefined))?.map((r) => r.revision)).toEqual([1]);
    expect(masked).toEqual([token]);
    // The ServiceAccount may not read namespaces: the answer is the API server's refusal, named as such.
    await expect(namespaceExists(kube, namespace)).rejects.toMatchObject({ message: expect.stringMatching(/^reading namespace .*: HTTP 403 Forbidden: .*system:serviceaccount:.*:reader/) });
  });

  it('reads a token file, and watches pods through it until stopped', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const kube = KubeRest.fromKubeconfig(kubeconfigWith({ tokenFile }));
    const controller = new AbortController();
    const seen: string[] = [];
    let ended: unknown = 'not yet';
    await kube.watch<{ metadata?: { name?: string } }>(`/api/v1/namespaces/${namespace}/pods`, (e) => seen.push(`${e.type} ${e.object.metadata?.name}`), (err) => (ended = err), controller.signal);
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'watched' }, spec: { nodeSelector: { 'no-such-node': 'x' }, containers: [{ name: 'c', image: stack.node().images.testapp }] } } });
    for (let i = 0; i < 100 && !seen.includes('ADDED watched'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toContain('ADDED watched');
    controller.abort();
    for (let i = 0; i < 40 && ended === 'not yet'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBeUndefined();
  });
});
