import { parseOkeLoginInputs, type OkeLoginInputs } from '../../../src/actions/oke-login/inputs.js';
import type { LoginDeps, LoginResult } from '../../../src/actions/oke-login/login.js';
import { run, type OkeLoginDeps, type OkeLoginResult } from '../../../src/actions/oke-login/run.js';
import { outputsOf, renderSummary } from '../../../src/actions/oke-login/summary.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import type { PrivateDir } from '../../../src/core/tempfiles.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { CLUSTER, fixture, TENANCY, USER } from './fixtures.js';

/** oke-login's run with fakes for the login (the OCI SDK), the helper's path and the process switch. */
const raw = { 'cluster-id': CLUSTER, tenancy: TENANCY, user: USER, 'private-key': fixture('api-key-pkcs1.pem') };
const inputs = (env: NodeJS.ProcessEnv = {}, extra: Record<string, string> = { region: 'us-ashburn-1' }): OkeLoginInputs => parseOkeLoginInputs(new Inputs(objectInputs({ ...raw, ...extra })), env, new Secrets());
const logged: LoginResult = { kubeconfigPath: '/rt/oke-login-x/kubeconfig', clusterName: 'c', kubernetesVersion: 'v1.34.1', endpoint: 'https://1.2.3.4:6443', endpointKind: 'public', lifecycleState: 'ACTIVE', auth: { method: 'api-key', tenancy: TENANCY, user: USER, fingerprint: 'f' }, identity: undefined, kubectlPath: undefined };
const dir = { path: '/rt/oke-login-x' } as PrivateDir;
const idToken: LoginDeps['idToken'] = async () => 'header.payload.signature';

function fakes(o: { result?: Partial<LoginResult>; idToken?: LoginDeps['idToken']; helperMissing?: boolean; loginFails?: Error } = {}) {
  const calls: string[] = [];
  let seen: LoginDeps | undefined;
  const log = new RecordingLogger();
  const deps: OkeLoginDeps = {
    log,
    secrets: new Secrets(),
    timings: new Timings(),
    env: { HOME: '/home/runner' },
    node: '/usr/bin/node',
    helperScript: () => {
      calls.push('helperScript');
      if (o.helperMissing) throw new Error('bug: the credential helper /x/oke-token/index.js is missing from the action bundle');
      return '/x/oke-token/index.js';
    },
    quietDeprecations: () => void calls.push('quietDeprecations'),
    login: async (_, d) => {
      calls.push('login');
      seen = d;
      if (o.loginFails) throw o.loginFails;
      return { ...logged, ...o.result };
    },
    privateDir: () => dir,
    ...(o.idToken ? { idToken: o.idToken } : {}),
  };
  return { calls, deps, log, seen: () => seen };
}

describe('oke-login run', () => {
  it.each<{ name: string; result?: Partial<LoginResult>; idToken?: LoginDeps['idToken']; exports: Pick<OkeLoginResult, 'exportVariables' | 'addPaths'> }>([
    { name: 'exports KUBECONFIG; no kubectl, nothing on PATH', exports: { exportVariables: { KUBECONFIG: '/rt/oke-login-x/kubeconfig' }, addPaths: [] } },
    { name: 'an installed kubectl: its folder goes on PATH', result: { kubectlPath: '/tools/kubectl/1.34.5/x64/kubectl' }, exports: { exportVariables: { KUBECONFIG: '/rt/oke-login-x/kubeconfig' }, addPaths: ['/tools/kubectl/1.34.5/x64'] } },
    { name: 'an injected idToken is passed on to the login', idToken, exports: { exportVariables: { KUBECONFIG: '/rt/oke-login-x/kubeconfig' }, addPaths: [] } },
  ])('$name', async ({ result, idToken: token, exports }) => {
    const f = fakes({ result, idToken: token });
    const r = await run(inputs(), f.deps);
    expect(f.calls).toEqual(['helperScript', 'quietDeprecations', 'login']);
    expect({ exportVariables: r.exportVariables, addPaths: r.addPaths }).toEqual(exports);
    expect(r.login).toEqual({ ...logged, ...result });
    const d = f.seen()!;
    expect(d.helper).toEqual({ node: '/usr/bin/node', script: '/x/oke-token/index.js' });
    expect([d.env, d.privateDir(), d.log, d.secrets, d.timings]).toEqual([f.deps.env, dir, f.deps.log, f.deps.secrets, f.deps.timings]);
    expect(d.idToken).toBe(token);
    expect('idToken' in d).toBe(token !== undefined);
  });

  it.each([
    ['the credential helper missing from the bundle: nothing else happens', { helperMissing: true }, /credential helper .* is missing/, ['helperScript']],
    ['the login fails: the error as it is, after the deprecation switch', { loginFails: new Error('401 NotAuthenticated') }, /^401 NotAuthenticated$/, ['helperScript', 'quietDeprecations', 'login']],
  ])('%s', async (_, o, error, calls) => {
    const f = fakes(o);
    await expect(run(inputs(), f.deps)).rejects.toThrow(error);
    expect(f.calls).toEqual(calls);
  });

  it('logs where inputs came from the environment before anything else', async () => {
    const f = fakes();
    await run(inputs({ OCI_CLI_REGION: 'us-ashburn-1' }, {}), f.deps);
    expect(f.log.lines[0]).toBe('region: taken from OCI_CLI_REGION');
  });
});

describe('oke-login outputs and summary', () => {
  const result = (extra: Partial<LoginResult> = {}): OkeLoginResult => ({ login: { ...logged, ...extra } });

  it.each<[string, OkeLoginResult, Record<string, unknown>]>([
    ['without kubectl', result(), { kubeconfig: '/rt/oke-login-x/kubeconfig', 'cluster-name': 'c', 'kubernetes-version': 'v1.34.1', endpoint: 'https://1.2.3.4:6443', 'kubectl-path': undefined }],
    ['with kubectl', result({ kubectlPath: '/tools/kubectl' }), { kubeconfig: '/rt/oke-login-x/kubeconfig', 'cluster-name': 'c', 'kubernetes-version': 'v1.34.1', endpoint: 'https://1.2.3.4:6443', 'kubectl-path': '/tools/kubectl' }],
  ])('outputs %s', (_, r, expected) => expect(outputsOf(r)).toEqual(expected));

  it.each<[string, OkeLoginResult, string[]]>([
    ['API key, not verified', result(), ['## oke-login: c', '| Endpoint | public endpoint: https://1.2.3.4:6443 |', '| Authentication | API key f of ocid1.user.oc1..aaaaaaaauser |', '| Verified | skipped (verify: false) |']],
    [
      'OIDC, verified, kubectl',
      result({ endpointKind: 'vcn-hostname', auth: { method: 'oidc', domainUrl: 'https://idcs.example.com', subject: 'repo:o/r' } as LoginResult['auth'], identity: { username: 'ocid1.user.oc1..gh' } as LoginResult['identity'], kubectlPath: '/tools/kubectl' }),
      ['| Endpoint | VCN hostname: https://1.2.3.4:6443 |', '| Authentication | GitHub OIDC exchanged for an OCI session token at https://idcs.example.com (repo:o/r) |', '| Verified | the API server authenticated ocid1.user.oc1..gh |', '| kubectl | /tools/kubectl |'],
    ],
  ])('summary: %s', (_, r, rows) => {
    const md = renderSummary(r, [{ name: 'Authenticate', ms: 300, ok: true }]).toMarkdown();
    for (const row of [...rows, '| Authenticate | ok | 0.3 s |']) expect(md).toContain(row);
  });
});
