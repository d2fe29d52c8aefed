import type { TimingStep } from '../../core/action.js';
import { SummaryBuilder } from '../../core/summary.js';
import type { DaprInstallResult } from './run.js';

/** The outputs: each from the part of the run that produced it (unset when the run failed before that part). */
export function outputsOf(r: DaprInstallResult) {
  const cp = r.controlPlane;
  const trustAnchor = r.certificates?.find((c) => c.what === 'trust anchor');
  const issuer = r.certificates?.find((c) => c.what === 'issuer certificate');
  return {
    'dapr-version': cp?.version,
    changed: r.changed,
    'control-plane': cp?.action,
    'components-applied': r.applied?.length,
    'components-changed': r.applied?.filter((a) => a.result !== 'unchanged').length,
    crds: cp?.crds.map((c) => `${c.name}=${c.result}`).join(','),
    'crds-changed': cp?.crds.filter((c) => c.result !== 'unchanged').length,
    'cli-path': r.cliPath,
    'trust-anchor-expires': trustAnchor?.expires.toISOString(),
    'issuer-expires': issuer?.expires.toISOString(),
    'certificates-rotated': r.certificates ? r.rotation !== undefined : undefined,
    'outdated-sidecars': r.skew?.remaining.length,
    'outdated-sidecar-pods': r.outdatedPods,
    'restarted-workloads': r.restarted ? [...new Set([...r.restarted.rotation, ...r.restarted.skew])].join(',') : undefined,
  };
}

const code = (names: string[]): string => names.map((n) => `\`${n}\``).join(', ');

export function renderSummary(r: DaprInstallResult, steps: readonly TimingStep[]): SummaryBuilder {
  const { controlPlane: cp, inputs: i, rotation, skew } = r;
  const s = new SummaryBuilder();
  if (!cp) s.heading('dapr-install: failed');
  else if (r.failure !== undefined) s.heading(`dapr-install: Dapr ${cp.version} control plane ready, then failed`);
  else s.heading(`dapr-install: Dapr ${cp.version} ${r.changed ? 'ready (changed)' : 'ready (no changes)'}`);
  if (r.failure !== undefined) s.failure(r.failure);
  if (cp) {
    const what = cp.action === 'unchanged' ? `already installed with the same inputs` : cp.from ? `${cp.action} from ${cp.from}` : cp.action;
    s.paragraph(`Control plane in \`${i.namespace}\`: ${what}${i.ha ? ', HA' : ''}, scheduler storage ${i.schedulerStorage}.`);
    if (cp.version !== cp.requested) s.paragraph(`**It runs Dapr ${cp.version || 'of unknown version'}, not the requested ${cp.requested}** (read from its images and release): look at \`global.tag\` and the image values in \`set\` / \`values-files\`.`);
    s.table(['Workload', 'Ready', 'Version'], cp.rows.map((w) => [w.workload, w.ready, w.version]));
    const crdChanges = cp.crds.filter((c) => c.result !== 'unchanged').length;
    s.heading('CRDs', 3)
      .paragraph(`The chart's ${cp.crds.length} CRDs, applied with server-side apply before Helm ran (Helm never upgrades them), all Established: ${crdChanges ? `${crdChanges} created or configured` : 'none changed'}.`)
      .table(['CRD', 'Result'], cp.crds.map((c) => [c.name, c.result]));
  }
  const certRows = (r.certificates ?? []).map((c) => [c.what === 'trust anchor' ? 'Trust anchor' : 'Issuer', c.expires.toISOString(), `${c.daysLeft} days${c.daysLeft < i.certWarnDays ? ' (renew soon)' : ''}`]);
  if (certRows.length || rotation) s.heading('mTLS certificates', 3);
  if (rotation) {
    s.paragraph(`Trust anchor and issuer renewed in place (${rotation.reason}); ${rotation.keptAnchors} old anchor(s) kept in the bundle until they expire. Restarted so that every daprd trusts the new anchor: ${code(r.restarted?.rotation ?? [])}.`);
    if (rotation.unowned.length) s.paragraph(`Not restarted (no controller; they keep the old anchors until recreated): ${rotation.unowned.map((p) => `\`${p.namespace}/${p.pod}\``).join(', ')}.`);
  }
  if (certRows.length) s.table(['Certificate', 'Expires', 'Left'], certRows);
  if (skew && (skew.found.length || skew.restarted.length)) {
    s.heading('Sidecars on another Dapr version', 3);
    if (skew.restarted.length) s.paragraph(`Restarted (rolled out and Ready): ${code(r.restarted?.skew ?? [])}.`);
    if (skew.remaining.length) {
      s.paragraph(`${skew.remaining.length} pod(s) still run a daprd other than the control plane's ${skew.controlPlaneVersion}${i.restartOutdatedSidecars ? '' : ' (restart-outdated-sidecars: true rolls them)'}:`)
        .table(['Namespace', 'Pod', 'daprd', 'Workload'], skew.remaining.map((p) => [p.namespace, p.pod, p.version ?? p.image, p.owner ? `${p.owner.kind}/${p.owner.name}` : (p.ownerNote ?? 'no controller')]));
    } else {
      s.paragraph(`Every sidecar now runs daprd ${skew.controlPlaneVersion}.`);
    }
  }
  if (r.applied?.length) s.heading('Dapr resources', 3).table(['Kind', 'Name', 'Namespace', 'Result'], r.applied.map((a) => [a.kind, a.name, a.namespace, a.result]));
  return s.timings(steps);
}
