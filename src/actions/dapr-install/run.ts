import { existsSync } from 'node:fs';
import type { ActionEnv } from '../../core/action.js';
import { ConfigurationError } from '../../core/errors.js';
import { withGroup } from '../../core/groups.js';
import { checkKubeconfigFile } from '../../core/yaml-files.js';
import { parseDaprInstallInputs } from './inputs.js';

/** dapr-install: validate everything, then Helm (only when something differs), wait for readiness, apply components. */
export async function daprInstall(env: ActionEnv): Promise<void> {
  const inputs = parseDaprInstallInputs(env.inputs, env.env);
  const components = inputs.components;

  const [{ SafeRunner }, { resolveHelm }, { installVerifiedTool }, { daprCliRelease }] = await Promise.all([
    import('../../core/exec.js'),
    import('../../helm/tool.js'),
    import('../../core/download.js'),
    import('../../dapr/cli.js'),
  ]);
  const runner = new SafeRunner(env.log, env.secrets);
  const binaryP = withGroup(env.log, 'Helm', () => resolveHelm(inputs.helm, runner, { log: env.log }), env.timings);
  binaryP.catch(() => undefined); // awaited below: an error thrown before then must not leave it unhandled
  const [{ Helm }, { loadKubeConfig, namespaceExists }, { installControlPlane }, { serverSideApply }, { renderSummary }] = await Promise.all([
    import('../../helm/helm.js'),
    import('../../kube/client.js'),
    import('./install.js'),
    import('../../kube/apply.js'),
    import('./summary.js'),
  ]);
  const fromEnv = env.env.KUBECONFIG?.split(':').find(Boolean);
  // The client's own error for a broken file quotes its lines (tokens, keys): check it first, as the input is.
  if (!inputs.kubeconfig && fromEnv && existsSync(fromEnv)) checkKubeconfigFile('KUBECONFIG', fromEnv, fromEnv);
  const kc = loadKubeConfig(inputs.kubeconfig, env.env);
  const kubeconfig = inputs.kubeconfig ?? env.env.KUBECONFIG;
  if (components.length && !(await namespaceExists(kc, inputs.componentsNamespace))) {
    throw new ConfigurationError({ input: 'components-namespace', problem: `namespace "${inputs.componentsNamespace}" does not exist`, fix: 'create it first (for example with the app\'s chart), or choose an existing namespace' });
  }
  const binary = await binaryP;
  const helm = new Helm(binary, runner, env.log, { ...env.env, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) });

  const controlPlane = await installControlPlane(inputs, { helm, kc, log: env.log, timings: env.timings });
  const applied = components.length
    ? await withGroup(env.log, `Apply ${components.length} Dapr resources to ${inputs.componentsNamespace}`, async () => {
        const r = await serverSideApply(kc, components.map((c) => c.resource), 'dapr-install');
        for (const a of r) env.log.info(`${a.kind}/${a.name}: ${a.result}`);
        return r;
      }, env.timings)
    : [];
  let cliPath: string | undefined;
  if (inputs.cli) {
    const cli = inputs.cli;
    const { goPlatform } = await import('../../core/download-inputs.js');
    const release = daprCliRelease(cli.version, cli.baseUrl, goPlatform());
    cliPath = await withGroup(env.log, `Dapr CLI ${cli.version}`, () => installVerifiedTool({ release, expected: cli.expected, allowInsecure: cli.allowInsecure }, { log: env.log }), env.timings);
    env.addPath(cliPath.slice(0, cliPath.lastIndexOf('/')));
  }

  const [{ readTrustBundle, daysLeft }, { rotationDue }, { rotateCertificates, sidecarSkew, podsJson, workloadNames }] = await Promise.all([
    import('../../dapr/certs.js'),
    import('../../dapr/rotate.js'),
    import('./maintenance.js'),
  ]);
  let certs = await readTrustBundle(kc, inputs.namespace);
  const due = rotationDue(inputs.rotateCertificates, certs, inputs.certWarnDays, new Date());
  let rotation: Awaited<ReturnType<typeof rotateCertificates>> | undefined;
  if (due.rotate) {
    env.log.info(`renewing the mTLS certificates: ${due.reason}`);
    rotation = await withGroup(env.log, 'Renew the mTLS trust anchor and issuer', () => rotateCertificates(kc, inputs.namespace, { validityDays: inputs.certValidityDays, timeoutMs: inputs.timeoutMs, log: env.log, secrets: env.secrets }), env.timings);
    for (const p of rotation.unowned) env.log.warning(`${p.namespace}/${p.pod} has a Dapr sidecar but no controller to roll it: it keeps the old trust anchors until it is recreated (delete it, or run it from a Deployment)`);
    certs = await readTrustBundle(kc, inputs.namespace);
  } else if (inputs.rotateCertificates !== 'never') {
    env.log.info(`mTLS certificates not renewed: ${due.reason}`);
  }
  const now = new Date();
  for (const [what, c] of [['trust anchor', certs.trustAnchor], ['issuer certificate', certs.issuer]] as const) {
    if (!c) continue;
    const days = daysLeft(c.expires, now);
    env.log.info(`Dapr mTLS ${what} (${c.subject}) expires ${c.expires.toISOString()} (in ${days} days)`);
    if (days < inputs.certWarnDays) {
      env.log.warning(`the Dapr mTLS ${what} expires ${c.expires.toISOString()}, in ${days} days (cert-warn-days: ${inputs.certWarnDays}): renew it before then (rotate-certificates: expiring renews it in place), or sidecars lose mTLS when it lapses`);
    }
  }
  const skew = await withGroup(env.log, 'Sidecar versions', () => sidecarSkew(kc, inputs.namespace, { version: controlPlane.version, restart: inputs.restartOutdatedSidecars, timeoutMs: inputs.timeoutMs, log: env.log }), env.timings);
  if (skew.remaining.length) {
    const versions = [...new Set(skew.remaining.map((p) => p.version ?? 'of unknown version'))].join(', ');
    const fix = skew.remaining.every((p) => !p.owner)
      ? 'nothing controls them to roll them: recreate them'
      : inputs.restartOutdatedSidecars ? 'their rollout did not replace them: look at their workloads' : 'set restart-outdated-sidecars: true, or roll them yourself (kubectl rollout restart); pods without a controller must be recreated';
    env.log.warning(`${skew.remaining.length} pods run daprd ${versions} while the control plane runs ${controlPlane.version}: ${fix}`);
  }
  const restarted = [...(rotation?.restarted ?? []), ...skew.restarted];
  const componentsChanged = applied.filter((a) => a.result !== 'unchanged').length;
  const changed = controlPlane.changed || componentsChanged > 0 || rotation !== undefined || skew.restarted.length > 0;
  const crdsChanged = controlPlane.crds.filter((c) => c.result !== 'unchanged').length;
  env.log.info(changed ? `changed: control plane ${controlPlane.action}, ${crdsChanged} CRDs and ${componentsChanged} resources created or configured${rotation ? ', certificates renewed' : ''}${restarted.length ? `, ${restarted.length} workloads restarted` : ''}` : 'no changes: Dapr, its CRDs and every resource were already as declared');
  env.setOutputs({
    'dapr-version': controlPlane.version,
    changed,
    'control-plane': controlPlane.action,
    'components-applied': applied.length,
    'components-changed': componentsChanged,
    crds: controlPlane.crds.map((c) => `${c.name}=${c.result}`).join(','),
    'crds-changed': crdsChanged,
    'cli-path': cliPath,
    'trust-anchor-expires': certs.trustAnchor?.expires.toISOString(),
    'issuer-expires': certs.issuer?.expires.toISOString(),
    'certificates-rotated': rotation !== undefined,
    'outdated-sidecars': skew.remaining.length,
    'outdated-sidecar-pods': podsJson(skew.remaining),
    'restarted-workloads': workloadNames(restarted).join(','),
  });
  env.writeSummary(renderSummary(inputs, controlPlane, applied, changed, env.timings, { certs, now, rotation, rotationReason: due.reason, skew }));
}
