/**
 * What oke-login checks about a cluster before writing anything, and how it explains a kubeconfig that
 * does not work. Pure: takes the facts, returns or throws errors that say what to do.
 */
import { ConfigurationError, OperationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ClusterInfo } from '../../oci/container-engine.js';
import type { EndpointKind, OkeLoginInputs } from './inputs.js';
import type { AccessError } from './verify.js';

type Facts = Pick<OkeLoginInputs, 'endpoint' | 'runnerEnvironment'> & { auth: { method: 'api-key' | 'oidc' } };

export function checkCluster(cluster: ClusterInfo, inputs: Facts, log: Logger): void {
  if (cluster.lifecycleState === 'UPDATING') {
    log.warning(`cluster ${cluster.name} is UPDATING (${cluster.lifecycleDetails ?? 'an upgrade is in progress'}); its API server stays available, but expect brief interruptions`);
  } else if (cluster.lifecycleState !== 'ACTIVE') {
    throw new OperationError(`cluster ${cluster.name} (${cluster.id}) is ${cluster.lifecycleState}, not ACTIVE${cluster.lifecycleDetails ? `: ${cluster.lifecycleDetails}` : ''}`, {
      hint: cluster.lifecycleState === 'CREATING' ? 'wait until the cluster is ACTIVE (Console: the cluster\'s page shows progress), then re-run' : 'check the cluster in the Console; a FAILED, DELETING or DELETED cluster cannot be used',
    });
  }
  const available = (Object.keys(cluster.endpoints) as EndpointKind[]).filter((k) => cluster.endpoints[k]);
  if (!cluster.endpoints[inputs.endpoint]) {
    throw new ConfigurationError({
      input: 'endpoint',
      problem: `is ${inputs.endpoint}, but cluster ${cluster.name} has no ${inputs.endpoint} endpoint`,
      fix: available.length ? `use ${available.join(' or ')}` : 'give the cluster an API endpoint (Console: the cluster > Edit)',
    });
  }
  if (inputs.endpoint === 'private' && inputs.runnerEnvironment === 'github-hosted') {
    log.warning(
      `endpoint is private (${cluster.endpoints.private}) and this is a GitHub-hosted runner, which is outside your VCN: kubectl reaches it only through a tunnel or VPN opened by an earlier step; otherwise use a self-hosted runner in the VCN or endpoint: public`,
    );
  }
}

export function accessFailure(err: AccessError, inputs: Facts, server: string): OperationError {
  const hostedPrivate = inputs.endpoint === 'private' && inputs.runnerEnvironment === 'github-hosted';
  const hints: Record<string, string> = {
    unreachable: hostedPrivate
      ? `the private endpoint ${server} is not reachable from a GitHub-hosted runner (it is outside your VCN): use a self-hosted runner in the VCN, open a tunnel (OCI Bastion, VPN) in an earlier step, or use endpoint: public; set verify: false to skip this check`
      : `check that the runner can reach ${server} (the cluster's security list or NSG must allow the runner's address on port 6443); set verify: false if a later step opens the route`,
    unauthorized:
      inputs.auth.method === 'api-key'
        ? 'the API server refused the OKE token: the user must belong to the cluster\'s tenancy, and the runner\'s clock must be right (tokens carry their signing time)'
        : 'the API server refused the OKE token signed with the session token: the identity the GitHub token maps to must be a user of the cluster\'s tenancy',
    tls: 'the API server\'s certificate does not match the cluster CA in the kubeconfig: a TLS-intercepting proxy, or endpoint vcn-hostname without VCN DNS, can cause this',
    helper: 'the bundled credential helper failed; this is a bug in oke-login: please report it with this log',
    other: 'check the API server\'s health in the Console',
  };
  return new OperationError(`verifying the kubeconfig against ${server}: ${err.message}`, { cause: err, hint: hints[err.kind] ?? hints.other! });
}
