import type { TimingStep } from '../../core/action.js';
import { SummaryBuilder } from '../../core/summary.js';
import { chartVersionOf } from '../../helm/release.js';
import { diagnosticsSummary } from '../../kube/render-diagnostics.js';
import type { ChartSource } from './inputs.js';
import type { HelmDeployResult } from './run.js';

export function chartLabel(chart: ChartSource): string {
  return chart.kind === 'local' ? chart.path : chart.kind === 'oci' ? chart.ref : `${chart.name} from ${chart.repo}`;
}

/** The outputs: what is live and what ran; unset when the run failed before it knew. */
export function outputsOf(r: HelmDeployResult) {
  const d = r.deploy;
  return {
    revision: d?.live?.revision,
    'previous-revision': d?.previous?.revision,
    status: d ? (d.latest?.status ?? 'none') : undefined,
    'chart-version': d?.latest ? chartVersionOf(d.latest.chart) : undefined,
    'app-version': d?.latest?.appVersion,
    'rolled-back': d?.rolledBack,
    'helm-version': r.helmVersion,
    diff: d?.diff?.output,
    'diff-file': d?.diff?.file,
    changes: d?.diff?.changes,
  };
}

/** The job summary: what was deployed where, what is live now, and on failure why. No values, ever. */
export function renderSummary(r: HelmDeployResult, steps: readonly TimingStep[]): SummaryBuilder {
  const d = r.deploy;
  const ok = d?.ok === true && r.failure === undefined;
  const s = new SummaryBuilder().heading(`helm-deploy: ${r.release} ${ok ? (d?.planned ? 'plan' : r.dryRun ? 'dry run ok' : 'deployed') : 'FAILED'}`);
  s.table(
    ['Release', 'Namespace', 'Chart', 'Chart version', 'App version', 'Revision', 'Status', 'Helm'],
    [[r.release, r.namespace, chartLabel(r.chart), d?.latest ? chartVersionOf(d.latest.chart) : (r.chartVersion ?? ''), d?.latest?.appVersion ?? '', d?.live?.revision ?? '', d?.latest?.status ?? '', r.helmVersion ?? '']],
  );
  if (!d) return (r.failure === undefined ? s : s.failure(r.failure)).timings(steps);
  s.paragraph(`**Outcome:** ${d.outcome}`);
  if (d.recovered) s.paragraph(`**Pending release recovered:** ${d.recovered}`);
  if (!d.ok && d.failure) s.paragraph('**Helm said:**').code(d.failure);
  if (d.diagnostics) diagnosticsSummary(d.diagnostics, s);
  if (d.diff) s.paragraph(d.diff.markdown.trimEnd());
  if (d.diff?.comment) s.paragraph(`**Pull-request comment:** ${d.diff.comment}`);
  if (d.diffError) s.paragraph(`**Diff:** not computed: ${d.diffError}`);
  return s.timings(steps);
}
