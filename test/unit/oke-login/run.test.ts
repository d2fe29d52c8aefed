import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type OkeLoginDeps } from '../../../src/actions/oke-login/run.js';
import type { LoginResult } from '../../../src/actions/oke-login/login.js';
import { loginSummary } from '../../../src/actions/oke-login/summary.js';
import { FakeActionEnv } from '../../support/fake-action-env.js';
import { CLUSTER, fixture, TENANCY, USER } from './fixtures.js';

const inputs = { 'cluster-id': CLUSTER, region: 'us-ashburn-1', tenancy: TENANCY, user: USER, 'private-key': fixture('api-key-pkcs1.pem') };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oke-login-run-'));
  writeFileSync(join(dir, 'helper.js'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deps(calls: string[], result: Partial<LoginResult> = {}): OkeLoginDeps {
  return {
    helperScript: () => join(dir, 'helper.js'),
    quietDeprecations: () => void calls.push('quietDeprecations'),
    idToken: async () => 'header.payload.signature',
    loadLogin: async () => {
      calls.push('loadLogin');
      return {
        login: async (_, loginDeps) => {
          calls.push(`login idToken=${typeof loginDeps.idToken}`);
          return { kubeconfigPath: '/tmp/x/kubeconfig', clusterName: 'c', kubernetesVersion: 'v1.34.1', endpoint: 'https://1.2.3.4:6443', endpointKind: 'public', lifecycleState: 'ACTIVE', auth: { method: 'api-key', tenancy: TENANCY, user: USER, fingerprint: 'f' }, identity: undefined, kubectlPath: undefined, ...result };
        },
        loginSummary,
      };
    },
  };
}

describe('oke-login run: the runner and the process only through ActionEnv and OkeLoginDeps', () => {
  it('adds kubectl to PATH through env.addPath, exports KUBECONFIG through env, passes the injected idToken on', async () => {
    const env = new FakeActionEnv(inputs);
    const calls: string[] = [];
    await run(env, deps(calls, { kubectlPath: '/tools/kubectl/1.34.5/kubectl' }));
    expect(env.paths).toEqual(['/tools/kubectl/1.34.5']);
    expect(env.exported).toEqual({ KUBECONFIG: '/tmp/x/kubeconfig' });
    expect(calls).toEqual(['quietDeprecations', 'loadLogin', 'login idToken=function']);
  });

  it('bad inputs: refused before the deprecation switch or the SDK is touched', async () => {
    const env = new FakeActionEnv({ ...inputs, namespace: 'Bad_NS' });
    const calls: string[] = [];
    await expect(run(env, deps(calls))).rejects.toThrow('namespace: "Bad_NS" is not a valid namespace name');
    expect(calls).toEqual([]);
    expect([env.paths, env.exported]).toEqual([[], {}]);
  });
});
