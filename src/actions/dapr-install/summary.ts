import type { Timings } from '../../core/groups.js';
import { SummaryBuilder } from '../../core/summary.js';
import type { Applied } from '../../kube/apply.js';
import type { DaprInstallInputs } from './inputs.js';
import { daysLeft, type TrustBundle } from '../../dapr/certs.js';
import type { ControlPlaneResult } from './install.js';
import { workloadNames, type RotationResult, type SkewResult } from './maintenance.js';

export interface Maintenance {
  certs?: TrustBundle;
  now?: Date;
  rotation?: RotationResult;
  rotationReason?: string;
  skew?: SkewResult;
}

export function renderSummary(i: DaprInstallInputs, cp: ControlPlaneResult, applied: Applied[], changed: boolean, timings: Timings, m: Maintenance = {}): SummaryBuilder {
  const { certs = {}, now = new Date(), rotation, skew } = m;
  const s = new SummaryBuilder().heading(`dapr-install: Dapr ${cp.version} ${changed ? 'ready (changed)' : 'ready (no changes)'}`);
  const what = cp.action === 'unchanged' ? `already installed with the same inputs` : cp.from ? `${cp.action} from ${cp.from}` : cp.action;
  s.paragraph(`Control plane in \`${i.namespace}\`: ${what}${i.ha ? ', HA' : ''}, scheduler storage ${i.schedulerStorage}.`);
  if (cp.version !== cp.requested) s.paragraph(`**It runs Dapr ${cp.version || 'of unknown version'}, not the requested ${cp.requested}** (read from its images and release): look at \`global.tag\` and the image values in \`set\` / \`values-files\`.`);
  s.table(['Workload', 'Ready', 'Version'], cp.rows.map((r) => [r.workload, r.ready, r.version]));
  const crdChanges = cp.crds.filter((c) => c.result !== 'unchanged').length;
  s.heading('CRDs', 3).paragraph(`The chart's ${cp.crds.length} CRDs, applied with server-side apply before Helm ran (Helm never upgrades them), all Established: ${crdChanges ? `${crdChanges} created or configured` : 'none changed'}.`)
    .table(['CRD', 'Result'], cp.crds.map((c) => [c.name, c.result]));
  const certRows = ([['Trust anchor', certs.trustAnchor], ['Issuer', certs.issuer]] as const).filter(([, c]) => c).map(([what, c]) => {
    const days = daysLeft(c!.expires, now);
    return [what, c!.expires.toISOString(), `${days} days${days < i.certWarnDays ? ' (renew soon)' : ''}`];
  });
  if (certRows.length || rotation) s.heading('mTLS certificates', 3);
  if (rotation) {
    s.paragraph(`Trust anchor and issuer renewed in place (${m.rotationReason ?? 'asked for'}); ${rotation.keptAnchors} old anchor(s) kept in the bundle until they expire. Restarted so that every daprd trusts the new anchor: ${workloadNames(rotation.restarted).map((n) => `\`${n}\``).join(', ')}.`);
    if (rotation.unowned.length) s.paragraph(`Not restarted (no controller; they keep the old anchors until recreated): ${rotation.unowned.map((p) => `\`${p.namespace}/${p.pod}\``).join(', ')}.`);
  }
  if (certRows.length) s.table(['Certificate', 'Expires', 'Left'], certRows);
  if (skew && (skew.found.length || skew.restarted.length)) {
    s.heading('Sidecars on another Dapr version', 3);
    if (skew.restarted.length) s.paragraph(`Restarted (rolled out and Ready): ${workloadNames(skew.restarted).map((n) => `\`${n}\``).join(', ')}.`);
    if (skew.remaining.length) {
      s.paragraph(`${skew.remaining.length} pod(s) still run a daprd other than the control plane's ${skew.controlPlaneVersion}${i.restartOutdatedSidecars ? '' : ' (restart-outdated-sidecars: true rolls them)'}:`)
        .table(['Namespace', 'Pod', 'daprd', 'Workload'], skew.remaining.map((p) => [p.namespace, p.pod, p.version ?? p.image, p.owner ? `${p.owner.kind}/${p.owner.name}` : (p.ownerNote ?? 'no controller')]));
    } else {
      s.paragraph(`Every sidecar now runs daprd ${skew.controlPlaneVersion}.`);
    }
  }
  if (applied.length) s.heading('Dapr resources', 3).table(['Kind', 'Name', 'Namespace', 'Result'], applied.map((a) => [a.kind, a.name, a.namespace, a.result]));
  return s.timings(timings.steps);
}
