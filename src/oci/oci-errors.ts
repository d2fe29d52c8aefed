/**
 * Turns a failed OCI call into an error that says what to check. OCI is deliberately vague (404
 * NotAuthorizedOrNotFound for "no such cluster" and "no policy"; 401 for a wrong key and for a skewed
 * clock), so after a 401 or a network failure one unsigned probe of the endpoint tells clock skew
 * (its Date header) and reachability (the socket error) apart.
 */
import { OperationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { FetchLike } from './upst.js';

/** OCI refuses signatures whose date is further than this from its own clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type AuthSummary = { method: 'api-key'; tenancy: string; user: string; fingerprint: string } | { method: 'oidc'; domainUrl: string; subject: string | undefined };

export interface OciFailureContext {
  operation: string;
  endpoint: string;
  clusterId: string;
  region: string;
  auth: AuthSummary;
}

export interface OciStatus {
  status: number | undefined;
  code: string | undefined;
  message: string;
  requestId: string | undefined;
}

/** Reads an OciError (statusCode, serviceCode, opcRequestId) or the SDK's plain network-error object. */
export function ociStatus(err: unknown): OciStatus {
  const e = (err ?? {}) as { statusCode?: unknown; serviceCode?: unknown; opcRequestId?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  return {
    status,
    code: typeof e.serviceCode === 'string' ? e.serviceCode : typeof e.code === 'string' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : errorMessage(err),
    requestId: typeof e.opcRequestId === 'string' && e.opcRequestId !== 'unknown' ? e.opcRequestId : undefined,
  };
}

/** Throttling, server errors and network failures are worth another attempt; 4xx answers are not. */
export function isRetryableOciFailure(err: unknown): boolean {
  const { status } = ociStatus(err);
  if (status === undefined) return true;
  return status === 429 || (status >= 500 && status !== 501);
}

export interface Probe {
  /** Local clock minus the server's Date header, when the server answered. */
  skewMs?: number;
  /** Socket or TLS failure, when it did not. */
  error?: { code: string | undefined; message: string };
}

export async function probeEndpoint(endpoint: string, fetcher: FetchLike = globalThis.fetch, now: () => number = Date.now): Promise<Probe> {
  try {
    const res = await fetcher(endpoint, { method: 'GET', signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer().catch(() => undefined);
    const date = res.headers.get('date');
    const server = date ? Date.parse(date) : NaN;
    return Number.isNaN(server) ? {} : { skewMs: now() - server };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { error: { code: cause?.code ?? (err as { code?: string }).code, message: cause?.message ?? errorMessage(err) } };
  }
}

function formatSkew(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s >= 120 ? `${Math.round(s / 60)} minutes` : `${s} s`;
  return `${text} ${ms > 0 ? 'ahead of' : 'behind'}`;
}

export function iamHint(ctx: OciFailureContext): string {
  const who = ctx.auth.method === 'api-key' ? `user ${ctx.auth.user}` : `the identity the GitHub token maps to${ctx.auth.subject ? ` (${ctx.auth.subject})` : ''}`;
  return (
    `OCI does not say whether the cluster is missing or the caller may not see it. Check that cluster-id is right and in region ${ctx.region}, ` +
    `and that an IAM policy lets ${who} use it, e.g. "Allow group <group> to use clusters in compartment <compartment>" ` +
    '(the kubeconfig needs `use`, not only `read`)'
  );
}

function unauthenticatedHint(ctx: OciFailureContext): string {
  if (ctx.auth.method === 'api-key') {
    return (
      `check that the API key with fingerprint ${ctx.auth.fingerprint} is uploaded for user ${ctx.auth.user} (Console: My profile > API keys), ` +
      `that tenancy ${ctx.auth.tenancy} is that user's tenancy, and that the tenancy is subscribed to ${ctx.region}`
    );
  }
  return 'the session token was refused: check the identity domain user (or service user) the GitHub token maps to, and that the tenancy is subscribed to the region';
}

const NETWORK_HINT: Record<string, string> = {
  ENOTFOUND: 'the host does not resolve: check region (and api-endpoint, when set)',
  EAI_AGAIN: 'DNS lookup failed: check the runner\'s DNS',
  ECONNREFUSED: 'nothing listens there: check api-endpoint and any proxy settings',
  ECONNRESET: 'the connection was reset: a proxy or firewall between the runner and OCI may be interfering',
  ETIMEDOUT: 'the connection timed out: a firewall or proxy blocks the runner\'s access to OCI',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out: a firewall or proxy blocks the runner\'s access to OCI',
  SELF_SIGNED_CERT_IN_CHAIN: 'a TLS-intercepting proxy is in the way: give its CA to Node with NODE_EXTRA_CA_CERTS',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is not trusted: behind a TLS-intercepting proxy, set NODE_EXTRA_CA_CERTS to its CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed: set NODE_EXTRA_CA_CERTS to its CA if you trust it',
};

export interface DiagnoseDeps {
  fetch?: FetchLike | undefined;
  now?: (() => number) | undefined;
  log?: Logger;
}

export async function diagnoseOciFailure(err: unknown, ctx: OciFailureContext, deps: DiagnoseDeps = {}): Promise<OperationError> {
  const s = ociStatus(err);
  const rid = s.requestId ? ` (opc-request-id ${s.requestId})` : '';
  const what = `${ctx.operation} for ${ctx.clusterId}`;
  if (s.status === 404 && s.code === 'NotAuthorizedOrNotFound') {
    return new OperationError(`${what}: OCI answered 404 NotAuthorizedOrNotFound${rid}`, { cause: err, hint: iamHint(ctx) });
  }
  if (s.status === 401) {
    const probe = await probeEndpoint(ctx.endpoint, deps.fetch, deps.now);
    if (probe.skewMs !== undefined && Math.abs(probe.skewMs) > MAX_CLOCK_SKEW_MS) {
      return new OperationError(
        `${what}: OCI refused the request signature: this runner's clock is ${formatSkew(probe.skewMs)} OCI's, and OCI accepts at most 5 minutes${rid}`,
        { cause: err, hint: 'synchronise the runner\'s clock (NTP, e.g. `sudo timedatectl set-ntp true` or `sudo chronyc makestep`); self-hosted runners and containers drift' },
      );
    }
    return new OperationError(`${what}: OCI answered 401 ${s.code ?? 'NotAuthenticated'}: ${s.message}${rid}`, { cause: err, hint: unauthenticatedHint(ctx) });
  }
  if (s.status !== undefined) {
    const hint =
      s.status === 429 || s.status >= 500
        ? 'OCI is throttling or failing; retry the job later, and quote the opc-request-id to Oracle support if it persists'
        : `check the inputs named in the message${s.status === 400 ? ' (cluster-id, endpoint)' : ''}`;
    return new OperationError(`${what}: OCI answered ${s.status} ${s.code ?? ''}: ${s.message}${rid}`.replace(/ {2}/g, ' '), { cause: err, hint });
  }
  const probe = await probeEndpoint(ctx.endpoint, deps.fetch, deps.now);
  const code = probe.error?.code;
  const detail = probe.error ? `${probe.error.message}${code && !probe.error.message.includes(code) ? ` (${code})` : ''}` : s.message;
  return new OperationError(`${what}: cannot reach ${ctx.endpoint}: ${detail}`, {
    cause: err,
    hint: (code && NETWORK_HINT[code]) ?? 'check the runner\'s network access to OCI (proxy, firewall, DNS)',
  });
}
