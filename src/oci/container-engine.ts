/**
 * GetCluster and CreateKubeconfig through oci-common + oci-containerengine. The SDK signs the requests
 * (it signs `x-date`); this wrapper turns its failures into errors that say what to check: the IAM hint
 * for NotAuthorizedOrNotFound, clock skew for a refused signature, the network for unreachable endpoints.
 * Retries go through the project's retry helper (the SDK's own retries and circuit breaker are off, for this
 * client only: no global SDK setting is changed).
 */
import * as common from 'oci-common';
import { ContainerEngineClient, models } from 'oci-containerengine';
import { OperationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { retry, RetryError } from '../core/retry.js';
import { diagnoseOciFailure, isRetryableOciFailure, type OciFailureContext } from './oci-errors.js';
import type { FetchLike } from './upst.js';

export type EndpointKind = 'public' | 'private' | 'vcn-hostname';

const SDK_ENDPOINT: Record<EndpointKind, models.CreateClusterKubeconfigContentDetails.Endpoint> = {
  public: models.CreateClusterKubeconfigContentDetails.Endpoint.PublicEndpoint,
  private: models.CreateClusterKubeconfigContentDetails.Endpoint.PrivateEndpoint,
  'vcn-hostname': models.CreateClusterKubeconfigContentDetails.Endpoint.VcnHostname,
};

export interface ClusterInfo {
  id: string;
  name: string;
  kubernetesVersion: string;
  lifecycleState: string;
  lifecycleDetails: string | undefined;
  endpoints: Partial<Record<EndpointKind, string>>;
}

export interface OkeClientOptions {
  /** `<tenancy>/<user>/<fingerprint>` or `ST$<upst>`. */
  keyId: string;
  /** Unencrypted PEM of the signing key. */
  privateKeyPem: string;
  region: string;
  /** Base URL override (default: the region's Container Engine endpoint). */
  apiEndpoint?: string;
  /** For the failure hints. */
  context: Omit<OciFailureContext, 'endpoint' | 'operation'>;
  log: Logger;
  /** For the clock and reachability probes run after a failure. */
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  attempts?: number;
}

/** Region identifier for a region key such as `iad`, from the SDK's region table; undefined when unknown. */
export function regionForKey(key: string): string | undefined {
  const id = common.Region.getRegionIdFromShortCode(key);
  return id && id !== key ? id : undefined;
}

export class OkeClient {
  private readonly client: ContainerEngineClient;
  readonly endpoint: string;

  constructor(private readonly options: OkeClientOptions) {
    const provider: common.AuthenticationDetailsProvider = {
      getKeyId: async () => options.keyId,
      getPrivateKey: () => options.privateKeyPem,
      getPassphrase: () => null,
    };
    // One retry policy for the project (core/retry.ts): the SDK's retries and circuit breaker are off for this client
    // (`noCircuit` is the SDK's per-client switch; common.CircuitBreaker.EnableGlobalCircuitBreaker would change every client).
    const noCircuitBreaker = { noCircuit: true } as common.CircuitBreaker;
    this.client = new ContainerEngineClient({ authenticationDetailsProvider: provider }, { retryConfiguration: common.NoRetryConfigurationDetails, circuitBreaker: noCircuitBreaker });
    if (options.apiEndpoint) this.client.endpoint = options.apiEndpoint.replace(/\/+$/, '');
    else this.client.regionId = options.region;
    this.endpoint = this.client.endpoint.replace(/\/20180222$/, '');
  }

  async getCluster(clusterId: string): Promise<ClusterInfo> {
    const res = await this.call('GetCluster', () => this.client.getCluster({ clusterId }));
    const c = res.cluster;
    return {
      id: c.id ?? clusterId,
      name: c.name ?? clusterId,
      kubernetesVersion: c.kubernetesVersion ?? 'unknown',
      lifecycleState: String(c.lifecycleState ?? 'UNKNOWN'),
      lifecycleDetails: c.lifecycleDetails,
      endpoints: {
        public: c.endpoints?.publicEndpoint,
        private: c.endpoints?.privateEndpoint,
        'vcn-hostname': c.endpoints?.vcnHostnameEndpoint,
      },
    };
  }

  /** The kubeconfig YAML OKE generates for one endpoint kind (its user still runs the OCI CLI). */
  async createKubeconfig(clusterId: string, endpoint: EndpointKind): Promise<string> {
    const res = await this.call('CreateKubeconfig', () =>
      this.client.createKubeconfig({ clusterId, createClusterKubeconfigContentDetails: { tokenVersion: '2.0.0', endpoint: SDK_ENDPOINT[endpoint] } }),
    );
    return readBody(res.value);
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const { log, attempts = 4, now, sleep } = this.options;
    try {
      return await retry(() => sdkCall(log, fn), {
        label: `${operation} at ${this.endpoint}`,
        attempts,
        initialDelayMs: 1_000,
        maxDelayMs: 8_000,
        deadlineMs: 60_000,
        retryable: isRetryableOciFailure,
        log,
        ...(now ? { now } : {}),
        ...(sleep ? { sleep } : {}),
      });
    } catch (err) {
      const cause = err instanceof RetryError ? err.cause : err;
      throw await diagnoseOciFailure(cause, { ...this.options.context, operation, endpoint: this.endpoint }, { fetch: this.options.fetch, now: this.options.now, log });
    }
  }
}

/**
 * One SDK call: its notes go to the debug log, and a failure that is a plain object (the SDK throws
 * `{ code, message, ... }` for network errors) becomes an Error with the same fields, so that logs and
 * retries show its message instead of "[object Object]".
 */
async function sdkCall<T>(log: Logger, fn: () => Promise<T>): Promise<T> {
  try {
    return await withSdkWarnings(log, fn);
  } catch (err) {
    if (err instanceof Error || typeof err !== 'object' || err === null) throw err;
    const fields = err as { message?: unknown; code?: unknown };
    const message = typeof fields.message === 'string' ? fields.message : 'the OCI SDK failed without a message';
    throw Object.assign(new Error(typeof fields.code === 'string' ? `${message} (${fields.code})` : message), err);
  }
}

/**
 * The SDK's retrier writes "Request cannot be retried..." with console.warn on every failed call, and has no
 * per-client logger for it (common.LOG.logger is global as well, and does not receive these). So console.warn
 * is routed to the debug log while calls run: installed by the first call, restored when the last one ends,
 * so that overlapping calls never leave it replaced.
 */
let sdkWarningCalls = 0;
let originalWarn: typeof console.warn | undefined;
let sdkWarningLogs: Logger[] = [];

async function withSdkWarnings<T>(log: Logger, fn: () => Promise<T>): Promise<T> {
  if (sdkWarningCalls++ === 0) {
    originalWarn = console.warn;
    console.warn = (...args: unknown[]) => sdkWarningLogs.at(-1)?.debug(`oci-sdk: ${args.map(String).join(' ')}`);
  }
  sdkWarningLogs.push(log);
  try {
    return await fn();
  } finally {
    sdkWarningLogs.splice(sdkWarningLogs.lastIndexOf(log), 1);
    if (--sdkWarningCalls === 0) {
      console.warn = originalWarn!;
      originalWarn = undefined;
      sdkWarningLogs = [];
    }
  }
}

async function readBody(value: unknown): Promise<string> {
  try {
    if (typeof value === 'string') return value;
    if (value && typeof (value as ReadableStream).getReader === 'function') return await new Response(value as ReadableStream).text();
    const chunks: Buffer[] = [];
    for await (const chunk of value as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw new OperationError(`reading the kubeconfig from CreateKubeconfig failed: ${errorMessage(err)}`, { hint: 'retry the job; if it persists, check the network between the runner and OCI' });
  }
}
