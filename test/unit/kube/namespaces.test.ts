import { KubeConfig } from '@kubernetes/client-node';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { namespaceExists } from '../../../src/kube/client.js';

/** An API server that answers GET /api/v1/namespaces/<name> with a fixed status per name. */
async function apiServer(answers: Record<string, number>): Promise<{ kc: KubeConfig; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const name = /^\/api\/v1\/namespaces\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    const code = answers[name] ?? 500;
    const body = code === 200 ? { kind: 'Namespace', apiVersion: 'v1', metadata: { name } } : { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: code === 403 ? 'Forbidden' : 'NotFound', message: `namespaces "${name}" is ${code === 403 ? 'forbidden' : 'not found'}`, code };
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { kc, close: () => new Promise((r) => server.close(() => r())) };
}

describe('namespaceExists', () => {
  it('is true on 200, false on 404, and an OperationError naming the namespace and what to check otherwise', async () => {
    const api = await apiServer({ apps: 200, missing: 404, secret: 403 });
    try {
      await expect(namespaceExists(api.kc, 'apps')).resolves.toBe(true);
      await expect(namespaceExists(api.kc, 'missing')).resolves.toBe(false);
      await expect(namespaceExists(api.kc, 'secret')).rejects.toMatchObject({
        name: 'OperationError',
        message: 'reading namespace secret: HTTP 403 Forbidden: namespaces "secret" is forbidden',
        hint: expect.stringMatching(/may get namespaces/),
      });
    } finally {
      await api.close();
    }
  });
});
