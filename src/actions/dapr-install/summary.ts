import type { Timings } from '../../core/groups.js';
import { SummaryBuilder } from '../../core/summary.js';
import type { Applied } from '../../kube/apply.js';
import type { DaprInstallInputs } from './inputs.js';
import { daysLeft, type TrustBundle } from '../../dapr/certs.js';
import type { ControlPlaneResult } from './install.js';

export function renderSummary(i: DaprInstallInputs, cp: ControlPlaneResult, applied: Applied[], changed: boolean, timings: Timings, certs: TrustBundle = {}, now = new Date()): SummaryBuilder {
  const s = new SummaryBuilder().heading(`dapr-install: Dapr ${cp.version} ${changed ? 'ready (changed)' : 'ready (no changes)'}`);
  const what = cp.action === 'unchanged' ? `already installed with the same inputs` : cp.from ? `${cp.action} from ${cp.from}` : cp.action;
  s.paragraph(`Control plane in \`${i.namespace}\`: ${what}${i.ha ? ', HA' : ''}, scheduler storage ${i.schedulerStorage}.`);
  s.table(['Workload', 'Ready', 'Version'], cp.rows.map((r) => [r.workload, r.ready, r.version]));
  const crdChanges = cp.crds.filter((c) => c.result !== 'unchanged').length;
  s.heading('CRDs', 3).paragraph(`The chart's ${cp.crds.length} CRDs, applied with server-side apply before Helm ran (Helm never upgrades them), all Established: ${crdChanges ? `${crdChanges} created or configured` : 'none changed'}.`)
    .table(['CRD', 'Result'], cp.crds.map((c) => [c.name, c.result]));
  const certRows = ([['Trust anchor', certs.trustAnchor], ['Issuer', certs.issuer]] as const).filter(([, c]) => c).map(([what, c]) => {
    const days = daysLeft(c!.expires, now);
    return [what, c!.expires.toISOString(), `${days} days${days < i.certWarnDays ? ' (renew soon)' : ''}`];
  });
  if (certRows.length) s.heading('mTLS certificates', 3).table(['Certificate', 'Expires', 'Left'], certRows);
  if (applied.length) s.heading('Dapr resources', 3).table(['Kind', 'Name', 'Namespace', 'Result'], applied.map((a) => [a.kind, a.name, a.namespace, a.result]));
  return s.timings(timings.steps);
}
