import { SummaryBuilder } from '../../core/summary.js';
import type { Timings } from '../../core/groups.js';
import { chartVersionOf } from '../../helm/release.js';
import { diagnosticsSummary } from '../../kube/render-diagnostics.js';
import type { DeployResult } from './deploy.js';
import type { HelmDeployInputs } from './inputs.js';

export function chartLabel(i: HelmDeployInputs): string {
  return i.chart.kind === 'local' ? i.chart.path : i.chart.kind === 'oci' ? i.chart.ref : `${i.chart.name} from ${i.chart.repo}`;
}

/** The job summary: what was deployed where, what is live now, and on failure why. No values, ever. */
export function renderSummary(i: HelmDeployInputs, helmVersion: string, r: DeployResult, timings: Timings): SummaryBuilder {
  const s = new SummaryBuilder().heading(`helm-deploy: ${i.release} ${r.ok ? (i.dryRun ? 'dry run ok' : 'deployed') : 'FAILED'}`);
  s.table(
    ['Release', 'Namespace', 'Chart', 'Chart version', 'App version', 'Revision', 'Status', 'Helm'],
    [[i.release, i.namespace, chartLabel(i), r.latest ? chartVersionOf(r.latest.chart) : (i.chartVersion ?? ''), r.latest?.appVersion ?? '', r.live?.revision ?? '', r.latest?.status ?? '', helmVersion]],
  );
  s.paragraph(`**Outcome:** ${r.outcome}`);
  if (r.recovered) s.paragraph(`**Pending release recovered:** ${r.recovered}`);
  if (!r.ok && r.failure) s.paragraph('**Helm said:**').code(r.failure);
  if (r.diagnostics) diagnosticsSummary(r.diagnostics, s);
  return s.timings(timings.steps);
}
