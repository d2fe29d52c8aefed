import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { METADATA_ONLY, secretLister } from '../../../src/helm/storage.js';
import { resolveKubeconfig, type KubeconfigDoc } from '../../../src/kube/kubeconfig.js';
import { apiError, KubeApiError, KubeRest, namespaceExists, type WatchEvent } from '../../../src/kube/rest.js';

/**
 * The light Kubernetes client (src/kube/rest.ts) that helm-deploy's preflight and pod recorder use instead of
 * @kubernetes/client-node: which kubeconfigs it reads itself (and which it leaves to client-node), how it
 * authenticates (token, token file, exec plugin), and what it makes of answers, errors and watch streams.
 * The requests go to a real HTTP server on loopback.
 */
const dir = mkdtempSync(join(tmpdir(), 'kube-rest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function doc(cluster: Record<string, unknown>, user: Record<string, unknown> = { token: 't' }, namespace?: string): KubeconfigDoc {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'ctx',
  };
}

describe('resolveKubeconfig: what the light client reads itself', () => {
  const read = (p: string): Buffer => Buffer.from(`file:${p}`);

  it('reads the current context: server, CA (data or file, relative to the kubeconfig), token, namespace', () => {
    const r = resolveKubeconfig(doc({ server: 'https://k8s.example:6443/prefix', 'certificate-authority': 'ca.pem', 'tls-server-name': 'kubernetes' }, { token: 'tok' }, 'apps'), '/home/me/.kube/config', read);
    expect(r).toMatchObject({ target: { token: 'tok', namespace: 'apps', tlsServerName: 'kubernetes', insecureSkipTlsVerify: false } });
    if (!('target' in r)) throw new Error('unsupported');
    expect(r.target.server.href).toBe('https://k8s.example:6443/prefix');
    expect(r.target.ca?.toString()).toBe('file:/home/me/.kube/ca.pem');
  });

  it('reads inline client certificates and keys (base64), and a token file by absolute path', () => {
    const r = resolveKubeconfig(doc({ server: 'https://k', 'certificate-authority-data': Buffer.from('CA').toString('base64') }, { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64'), tokenFile: 'token' }), '/etc/kube/config', read);
    if (!('target' in r)) throw new Error(r.unsupported);
    expect([r.target.ca?.toString(), r.target.clientCert?.toString(), r.target.clientKey?.toString(), r.target.tokenFile]).toEqual(['CA', 'CERT', 'KEY', '/etc/kube/token']);
  });

  it.each([
    ['a relative command with a slash resolves from the kubeconfig folder', './bin/helper', '/work/kube/bin/helper'],
    ['a bare command is looked up on PATH, as kubectl does', 'oci', 'oci'],
    ['an absolute command stays', '/usr/bin/helper', '/usr/bin/helper'],
  ])('exec: %s', (_n, command, expected) => {
    const r = resolveKubeconfig(doc({ server: 'https://k' }, { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command, args: ['a'], env: [{ name: 'X', value: '1' }], interactiveMode: 'Never' } }), '/work/kube/config', read);
    if (!('target' in r)) throw new Error(r.unsupported);
    expect(r.target.exec).toEqual({ command: expected, args: ['a'], env: [{ name: 'X', value: '1' }], apiVersion: 'client.authentication.k8s.io/v1beta1' });
  });

  it.each<[string, KubeconfigDoc, RegExp]>([
    ['an auth-provider', doc({ server: 'https://k' }, { 'auth-provider': { name: 'oidc' } }), /user\.auth-provider/],
    ['a proxy-url', doc({ server: 'https://k', 'proxy-url': 'http://proxy:3128' }), /cluster\.proxy-url/],
    ['basic auth', doc({ server: 'https://k' }, { username: 'u', password: 'p' }), /user\.username, user\.password/],
    ['impersonation', doc({ server: 'https://k' }, { token: 't', as: 'admin' }), /user\.as\b/],
    ['an exec plugin that wants the cluster info', doc({ server: 'https://k' }, { exec: { command: 'x', provideClusterInfo: true } }), /provideClusterInfo/],
    ['no current-context', { ...doc({ server: 'https://k' }), 'current-context': undefined }, /no current-context/],
    ['a current-context that is not there', { ...doc({ server: 'https://k' }), 'current-context': 'other' }, /"other" is not among its contexts/],
    ['a server that is not a URL', doc({ server: 'k8s:6443' }), /neither https nor http|not a URL/],
    ['a certificate without its key', doc({ server: 'https://k' }, { 'client-certificate-data': 'Q0VSVA==' }), /without a key/],
  ])('leaves %s to client-node', (_n, d, why) => {
    const r = resolveKubeconfig(d, '/k/config', read);
    expect('unsupported' in r && r.unsupported).toMatch(why);
  });
});

/** An API server on loopback: each request is recorded and answered by `handle`. */
async function apiServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; requests: IncomingMessage[]; close(): Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const json = (res: ServerResponse, code: number, body: unknown): void => void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });

function kubeconfigFor(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, dump(doc({ server, ...cluster }, user)), { mode: 0o600 });
  return file;
}

describe('KubeRest', () => {
  it('GETs JSON under the server path, with the token; a refusal is a KubeApiError that apiError reads in one line', async () => {
    const api = await apiServer((req, res) => (req.url === '/prefix/api/v1/namespaces/apps' ? json(res, 200, { metadata: { name: 'apps' } }) : json(res, 403, status(403, 'Forbidden', 'namespaces "x" is forbidden'))));
    try {
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(`${api.url}/prefix`, { token: 'sekret' }));
      expect(kube.via).toBe('light');
      await expect(kube.get('/api/v1/namespaces/apps')).resolves.toEqual({ metadata: { name: 'apps' } });
      const err = await kube.get('/api/v1/namespaces/x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(apiError(err)).toBe('HTTP 403 Forbidden: namespaces "x" is forbidden');
      expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sekret', 'Bearer sekret']);
    } finally {
      await api.close();
    }
  });

  it('reads a token file for every request (a projected token rotates on disk)', async () => {
    const api = await apiServer((_req, res) => json(res, 200, {}));
    const tokenFile = join(dir, 'token');
    try {
      writeFileSync(tokenFile, 'one\n');
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(api.url, { tokenFile }));
      await kube.get('/api');
      writeFileSync(tokenFile, 'two\n');
      await kube.get('/api');
      expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer one', 'Bearer two']);
    } finally {
      await api.close();
    }
  });

  it('runs an exec plugin once while its credential is valid, hands the token to onSecret, and runs it again near expiry', async () => {
    const api = await apiServer((_req, res) => json(res, 200, {}));
    const runs = join(dir, 'runs');
    writeFileSync(runs, '');
    const plugin = join(dir, 'plugin.sh');
    // The expiry comes from the environment the kubeconfig's exec.env gives it; the info variable must be set.
    writeFileSync(plugin, `#!/bin/sh\n[ -n "$KUBERNETES_EXEC_INFO" ] || exit 3\necho run >> '${runs}'\nn=$(wc -l < '${runs}')\nprintf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"exec-token-%s","expirationTimestamp":"%s"}}' $n "$EXPIRES"\n`);
    chmodSync(plugin, 0o755);
    const masked: string[] = [];
    let now = Date.parse('2026-01-01T00:00:00Z');
    try {
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(api.url, { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin, env: [{ name: 'EXPIRES', value: '2026-01-01T00:10:00Z' }] } }), { onSecret: (v) => masked.push(v), now: () => now });
      await kube.get('/api');
      await kube.get('/api');
      now = Date.parse('2026-01-01T00:09:45Z'); // within 30 s of the expiry: a fresh credential
      await kube.get('/api');
      expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer exec-token-1', 'Bearer exec-token-1', 'Bearer exec-token-2']);
      expect(masked).toEqual(['exec-token-1', 'exec-token-2']);
    } finally {
      await api.close();
    }
  });

  it('a failing exec plugin is an ExecCredentialError with its stderr and a hint', async () => {
    const plugin = join(dir, 'broken.sh');
    writeFileSync(plugin, '#!/bin/sh\necho "credential file is gone" >&2\nexit 4\n');
    chmodSync(plugin, 0o755);
    const kube = KubeRest.fromKubeconfig(kubeconfigFor('http://127.0.0.1:9', { exec: { command: plugin } }));
    await expect(kube.get('/api')).rejects.toMatchObject({ name: 'ExecCredentialError', message: expect.stringMatching(/exited with 4: credential file is gone/), hint: expect.stringMatching(/oke-login/) });
  });

  it('leaves a kubeconfig it does not read to client-node, which authenticates the same requests', async () => {
    const api = await apiServer((_req, res) => json(res, 200, { ok: true }));
    try {
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(api.url, { username: 'admin', password: 'pw' }, { 'insecure-skip-tls-verify': true }));
      expect(kube.via).toBe('client-node');
      await expect(kube.get('/api')).resolves.toEqual({ ok: true });
      expect(api.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
    } finally {
      await api.close();
    }
  });

  it('names the input for a missing kubeconfig, and never quotes a broken one', () => {
    expect(() => KubeRest.fromKubeconfig(join(dir, 'nope'))).toThrow(/kubeconfig: the kubeconfig file .*nope does not exist/);
    const broken = join(dir, 'broken');
    writeFileSync(broken, 'clusters:\n- name: c\n  token: s3cr3t-value\n    bad: [\n');
    let message = '';
    try {
      KubeRest.fromKubeconfig(broken);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/broken:4:\d+: kubeconfig: .*broken is not valid YAML/);
    expect(message).not.toContain('s3cr3t-value');
  });

  it('a certificate file the kubeconfig names but that is not there is a ConfigurationError naming both', () => {
    const file = kubeconfigFor('https://k8s.example', { token: 't' }, { 'certificate-authority': 'missing-ca.pem' });
    expect(() => KubeRest.fromKubeconfig(undefined, { env: { KUBECONFIG: file } })).toThrow(new RegExp(`^KUBECONFIG: the kubeconfig ${file} names the file ${dir}/missing-ca.pem, which cannot be read \\(ENOENT\\)`));
  });

  it('watches: events in order, bookmarks skipped, an ERROR event ends it with the Status', async () => {
    const api = await apiServer((req, res) => {
      expect(req.url).toBe('/api/v1/namespaces/apps/pods?watch=1');
      res.writeHead(200, { 'content-type': 'application/json' });
      const line = (e: unknown) => `${JSON.stringify(e)}\n`;
      const all = line({ type: 'ADDED', object: { metadata: { name: 'a' } } }) + line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } }) + line({ type: 'MODIFIED', object: { metadata: { name: 'a' }, status: { phase: 'Running' } } }) + line({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') });
      // Split mid-line, as a stream may be.
      res.write(all.slice(0, 30));
      setTimeout(() => res.end(all.slice(30)), 20);
    });
    try {
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(api.url, { token: 't' }));
      const events: Array<WatchEvent<{ metadata: { name?: string } }>> = [];
      const done = new Promise<unknown>((resolve) => void kube.watch('/api/v1/namespaces/apps/pods', (e) => events.push(e as never), resolve, new AbortController().signal));
      const err = await done;
      expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'MODIFIED a']);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).code).toBe(410);
    } finally {
      await api.close();
    }
  });

  it('an aborted watch ends quietly', async () => {
    const api = await apiServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`));
    try {
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(api.url, { token: 't' }));
      const controller = new AbortController();
      let added = 0;
      const done = new Promise<unknown>((resolve) => void kube.watch('/api/v1/namespaces/apps/pods', () => added++, resolve, controller.signal));
      await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      expect(await done).toBeUndefined();
      expect(added).toBe(1);
    } finally {
      await api.close();
    }
  });
});

describe('reads built on it', () => {
  it('namespaceExists: true on 200, false on 404, an OperationError naming the namespace and what to check otherwise', async () => {
    const answers: Record<string, number> = { apps: 200, missing: 404, secret: 403 };
    const api = await apiServer((req, res) => {
      const name = /^\/api\/v1\/namespaces\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
      const code = answers[name] ?? 500;
      json(res, code, code === 200 ? { kind: 'Namespace', metadata: { name } } : status(code, code === 403 ? 'Forbidden' : 'NotFound', `namespaces "${name}" is ${code === 403 ? 'forbidden' : 'not found'}`));
    });
    try {
      const kube = KubeRest.fromKubeconfig(kubeconfigFor(api.url, { token: 't' }));
      await expect(namespaceExists(kube, 'apps')).resolves.toBe(true);
      await expect(namespaceExists(kube, 'missing')).resolves.toBe(false);
      await expect(namespaceExists(kube, 'secret')).rejects.toMatchObject({
        name: 'OperationError',
        message: 'reading namespace secret: HTTP 403 Forbidden: namespaces "secret" is forbidden',
        hint: expect.stringMatching(/may get namespaces/),
      });
    } finally {
      await api.close();
    }
  });

  it("Helm's records are listed as metadata only, by label selector", async () => {
    const api = await apiServer((_req, res) => json(res, 200, { kind: 'PartialObjectMetadataList', items: [{ metadata: { name: 'sh.helm.release.v1.todo.v1', labels: { owner: 'helm', name: 'todo', version: '1' } } }] }));
    try {
      const list = secretLister(KubeRest.fromKubeconfig(kubeconfigFor(api.url, { token: 't' })));
      await expect(list('apps', 'owner=helm,name=todo')).resolves.toEqual([{ metadata: { name: 'sh.helm.release.v1.todo.v1', labels: { owner: 'helm', name: 'todo', version: '1' } } }]);
      expect(api.requests[0]?.url).toBe('/api/v1/namespaces/apps/secrets?labelSelector=owner%3Dhelm%2Cname%3Dtodo');
      expect(api.requests[0]?.headers.accept).toBe(METADATA_ONLY);
    } finally {
      await api.close();
    }
  });
});
