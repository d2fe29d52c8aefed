import { OperationError } from '../../../src/core/errors.js';
import { accessFailure, checkCluster } from '../../../src/actions/oke-login/checks.js';
import { AccessError } from '../../../src/actions/oke-login/verify.js';
import type { ClusterInfo } from '../../../src/oci/container-engine.js';
import { diagnoseOciFailure, isRetryableOciFailure, type OciFailureContext } from '../../../src/oci/oci-errors.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { CLUSTER, KEY_FINGERPRINT, TENANCY, USER } from './fixtures.js';

const ctx: OciFailureContext = {
  operation: 'GetCluster',
  endpoint: 'https://containerengine.us-ashburn-1.oci.oraclecloud.com',
  clusterId: CLUSTER,
  region: 'us-ashburn-1',
  auth: { method: 'api-key', tenancy: TENANCY, user: USER, fingerprint: KEY_FINGERPRINT },
};
const ociError = (statusCode: number, serviceCode: string, message = 'msg') => Object.assign(new Error(message), { statusCode, serviceCode, opcRequestId: 'req-1' });
const NOW = Date.parse('2026-03-01T12:00:00Z');
/** A fetch that answers with the given Date header, or fails like undici does. */
const answering = (date: Date) => async () => new Response('{}', { status: 401, headers: { date: date.toUTCString() } });
const failing = (code: string) => async () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code }) });
};

describe('OCI failures say what to check', () => {
  it('NotAuthorizedOrNotFound carries the IAM hint (API key and keyless)', async () => {
    const e = await diagnoseOciFailure(ociError(404, 'NotAuthorizedOrNotFound'), ctx);
    expect(e.message).toBe(`GetCluster for ${CLUSTER}: OCI answered 404 NotAuthorizedOrNotFound (opc-request-id req-1)`);
    expect(e.hint).toContain(`an IAM policy lets user ${USER} use it, e.g. "Allow group <group> to use clusters in compartment <compartment>"`);
    const k = await diagnoseOciFailure(ociError(404, 'NotAuthorizedOrNotFound'), { ...ctx, auth: { method: 'oidc', domainUrl: 'https://idcs', subject: 'ocid1.user.oc1..gh' } });
    expect(k.hint).toContain('the identity the GitHub token maps to (ocid1.user.oc1..gh)');
  });

  it.each([
    ['10 minutes ahead', -10 * 60_000, /this runner's clock is 10 minutes ahead of OCI's/],
    ['7 minutes behind', 7 * 60_000, /this runner's clock is 7 minutes behind OCI's/],
  ])('a 401 with the runner clock %s is reported as clock skew', async (_, serverOffset, message) => {
    const e = await diagnoseOciFailure(ociError(401, 'NotAuthenticated'), ctx, { fetch: answering(new Date(NOW + serverOffset)), now: () => NOW });
    expect(e.message).toMatch(message);
    expect(e.hint).toMatch(/NTP/);
  });

  it('a 401 with a right clock points at the key, the user and the tenancy', async () => {
    const e = await diagnoseOciFailure(ociError(401, 'NotAuthenticated', 'The required information to complete authentication was not provided or was incorrect.'), ctx, { fetch: answering(new Date(NOW + 30_000)), now: () => NOW });
    expect(e.message).toMatch(/OCI answered 401 NotAuthenticated: The required information/);
    expect(e.hint).toBe(`check that the API key with fingerprint ${KEY_FINGERPRINT} is uploaded for user ${USER} (Console: My profile > API keys), that tenancy ${TENANCY} is that user's tenancy, and that the tenancy is subscribed to us-ashburn-1`);
  });

  it.each([
    ['ENOTFOUND', /check region \(and api-endpoint/],
    ['ECONNREFUSED', /nothing listens there/],
    ['ETIMEDOUT', /firewall or proxy/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /NODE_EXTRA_CA_CERTS/],
  ])('a network failure (%s) is probed and explained', async (code, hint) => {
    const e = await diagnoseOciFailure({ message: 'fetch failed' }, ctx, { fetch: failing(code) });
    expect(e.message).toMatch(new RegExp(`cannot reach ${ctx.endpoint}: connect ${code}`));
    expect(e.hint).toMatch(hint);
  });

  it.each([
    [ociError(429, 'TooManyRequests'), true],
    [ociError(500, 'InternalServerError'), true],
    [ociError(503, 'ServiceUnavailable'), true],
    [ociError(501, 'NotImplemented'), false],
    [ociError(401, 'NotAuthenticated'), false],
    [ociError(404, 'NotAuthorizedOrNotFound'), false],
    [{ code: undefined, message: 'fetch failed' }, true],
  ])('retryable: %#', (err, retryable) => expect(isRetryableOciFailure(err)).toBe(retryable));

  it('other answers keep the status, code and request id', async () => {
    const e = await diagnoseOciFailure(ociError(400, 'InvalidParameter', 'bad endpoint'), ctx);
    expect(e).toBeInstanceOf(OperationError);
    expect(e.message).toBe(`GetCluster for ${CLUSTER}: OCI answered 400 InvalidParameter: bad endpoint (opc-request-id req-1)`);
  });
});

const cluster = (over: Partial<ClusterInfo> = {}): ClusterInfo => ({
  id: CLUSTER,
  name: 'prod',
  kubernetesVersion: 'v1.34.1',
  lifecycleState: 'ACTIVE',
  lifecycleDetails: undefined,
  endpoints: { public: '203.0.113.10:6443', private: '10.0.0.10:6443' },
  ...over,
});
const facts = (over: object = {}) => ({ endpoint: 'public' as const, runnerEnvironment: 'github-hosted', auth: { method: 'api-key' as const }, ...over });

describe('cluster checks before anything is written', () => {
  it.each([
    ['CREATING', /is CREATING, not ACTIVE: cluster is creating/, /wait until the cluster is ACTIVE/],
    ['FAILED', /is FAILED, not ACTIVE/, /cannot be used/],
    ['DELETED', /is DELETED, not ACTIVE/, /cannot be used/],
  ])('a %s cluster is refused', (state, message, hint) => {
    const err = (() => {
      try {
        checkCluster(cluster({ lifecycleState: state, lifecycleDetails: `cluster is ${state.toLowerCase()}` }), facts(), new RecordingLogger());
      } catch (e) {
        return e as OperationError;
      }
      throw new Error('expected an error');
    })();
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(hint);
  });

  it('an UPDATING cluster is used, with a warning', () => {
    const log = new RecordingLogger();
    checkCluster(cluster({ lifecycleState: 'UPDATING' }), facts(), log);
    expect(log.text()).toMatch(/warning: cluster prod is UPDATING/);
  });

  it('an endpoint kind the cluster lacks is a configuration error naming the ones it has', () => {
    expect(() => checkCluster(cluster(), facts({ endpoint: 'vcn-hostname' }), new RecordingLogger())).toThrow('endpoint: is vcn-hostname, but cluster prod has no vcn-hostname endpoint. Fix: use public or private');
  });

  it('warns about a private endpoint on a GitHub-hosted runner, not on a self-hosted one', () => {
    const hosted = new RecordingLogger();
    checkCluster(cluster(), facts({ endpoint: 'private' }), hosted);
    expect(hosted.text()).toMatch(/warning: endpoint is private \(10.0.0.10:6443\) and this is a GitHub-hosted runner, which is outside your VCN/);
    const own = new RecordingLogger();
    checkCluster(cluster(), facts({ endpoint: 'private', runnerEnvironment: 'self-hosted' }), own);
    expect(own.text()).not.toMatch(/warning/);
  });
});

describe('a kubeconfig that does not work says why', () => {
  it.each([
    ['unreachable', { endpoint: 'private', runnerEnvironment: 'github-hosted' }, /not reachable from a GitHub-hosted runner \(it is outside your VCN\)/],
    ['unreachable', { endpoint: 'private', runnerEnvironment: 'self-hosted' }, /security list or NSG/],
    ['unauthorized', {}, /the user must belong to the cluster's tenancy, and the runner's clock must be right/],
    ['tls', {}, /certificate does not match the cluster CA/],
    ['helper', {}, /bug in oke-login/],
  ] as const)('%s %j', (kind, over, hint) => {
    const e = accessFailure(new AccessError(kind, 'boom'), facts(over), 'https://10.0.0.10:6443');
    expect(e.message).toBe('verifying the kubeconfig against https://10.0.0.10:6443: boom');
    expect(e.hint).toMatch(hint);
  });
});
