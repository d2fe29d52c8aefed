/** The outputs and the job summary of a successful login: what was logged into and how, never a secret. */
import type { TimingStep } from '../../core/action.js';
import { SummaryBuilder } from '../../core/summary.js';
import type { OkeLoginResult } from './run.js';

const ENDPOINT_KIND = { public: 'public endpoint', private: 'private endpoint', 'vcn-hostname': 'VCN hostname' } as const;

export function outputsOf({ login: r }: OkeLoginResult) {
  return {
    kubeconfig: r.kubeconfigPath,
    'cluster-name': r.clusterName,
    'kubernetes-version': r.kubernetesVersion,
    endpoint: r.endpoint,
    'kubectl-path': r.kubectlPath,
  };
}

export function renderSummary({ login: r }: OkeLoginResult, steps: readonly TimingStep[]): SummaryBuilder {
  const auth =
    r.auth.method === 'api-key'
      ? `API key ${r.auth.fingerprint} of ${r.auth.user}`
      : `GitHub OIDC exchanged for an OCI session token at ${r.auth.domainUrl}${r.auth.subject ? ` (${r.auth.subject})` : ''}`;
  const rows: Array<[string, string]> = [
    ['Cluster', r.clusterName],
    ['Kubernetes', r.kubernetesVersion],
    ['Endpoint', `${ENDPOINT_KIND[r.endpointKind]}: ${r.endpoint}`],
    ['Authentication', auth],
    ['Verified', r.identity ? `the API server authenticated ${r.identity.username}` : 'skipped (verify: false)'],
    ['Kubeconfig', `${r.kubeconfigPath} (exported as KUBECONFIG; removed when the job ends)`],
  ];
  if (r.kubectlPath) rows.push(['kubectl', r.kubectlPath]);
  return new SummaryBuilder().heading(`oke-login: ${r.clusterName}`).table(['', ''], rows).timings(steps);
}
