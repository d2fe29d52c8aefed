import type { DaprClient } from '@dapr/dapr';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sidecar } from '../../../stack/src/dapr-sidecar.js';
import { daprClient, envSecrets, localFileSecrets, startTestSidecar, writeResources } from '../../support/dapr.js';

/** Secret stores through the real daprd: a local JSON file (nested keys) and daprd's environment. */
describe('dapr: secret stores (secretstores.local.file, secretstores.local.env)', () => {
  const password = randomUUID();
  const token = randomUUID();
  const secretsDir = mkdtempSync(join(tmpdir(), 'dapr-secrets-'));
  const secretsFile = join(secretsDir, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify({ db: { password, user: 'orders' }, 'api-key': 'k-123' }), { mode: 0o600 });
  const resources = writeResources([localFileSecrets('files', secretsFile), envSecrets('env')]);
  let sidecar: Sidecar;
  let client: DaprClient;

  beforeAll(async () => {
    sidecar = await startTestSidecar({ appId: 'secrets-it', resourcesPath: resources.dir, env: { ORDERS_IT_TOKEN: token, DAPR_IT_TOKEN: token } });
    ({ client } = daprClient(sidecar));
  }, 90_000);

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    await sidecar?.stop();
    resources.remove();
    rmSync(secretsDir, { recursive: true, force: true });
  });

  it('reads a nested secret from the file store (nestedSeparator ":")', async () => {
    expect(await client.secret.get('files', 'db:password')).toEqual({ 'db:password': password });
  });

  it('reads every secret of the file store in bulk', async () => {
    expect(await client.secret.getBulk('files')).toEqual({
      'db:password': { 'db:password': password },
      'db:user': { 'db:user': 'orders' },
      'api-key': { 'api-key': 'k-123' },
    });
  });

  it("reads a secret from daprd's environment (env store)", async () => {
    expect(await client.secret.get('env', 'ORDERS_IT_TOKEN')).toEqual({ ORDERS_IT_TOKEN: token });
  });

  it('never hands out DAPR_* variables from the env store (an empty value, not the secret)', async () => {
    expect(await client.secret.get('env', 'DAPR_IT_TOKEN')).toEqual({ DAPR_IT_TOKEN: '' });
  });

  it('fails for a secret that does not exist', async () => {
    await expect(client.secret.get('files', 'db:nope')).rejects.toThrow(/not found|ERR_SECRET_GET|nope/i);
  });
});
