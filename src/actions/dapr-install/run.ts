import type { ActionEnv } from '../../core/action.js';
import { ConfigurationError } from '../../core/errors.js';
import { withGroup } from '../../core/groups.js';
import { parseDaprInstallInputs } from './inputs.js';

/** dapr-install: validate everything, then Helm (only when something differs), wait for readiness, apply components. */
export async function daprInstall(env: ActionEnv): Promise<void> {
  const inputs = parseDaprInstallInputs(env.inputs, env.env);
  const { loadComponents } = await import('./components.js');
  const components = loadComponents(inputs.componentFiles, inputs.componentsNamespace, inputs.allowPlaintextSecrets);

  const [{ SafeRunner }, { resolveHelm }, { installVerifiedTool }, { daprCliRelease }] = await Promise.all([
    import('../../core/exec.js'),
    import('../../helm/tool.js'),
    import('../../core/download.js'),
    import('../../dapr/cli.js'),
  ]);
  const runner = new SafeRunner(env.log, env.secrets);
  const binaryP = withGroup(env.log, 'Helm', () => resolveHelm(inputs.helmVersion, inputs.helmBaseUrl, runner, { log: env.log }), env.timings);
  const [{ Helm }, { loadKubeConfig }, { installControlPlane, namespaceExists }, { serverSideApply }, { renderSummary }] = await Promise.all([
    import('../../helm/helm.js'),
    import('../../kube/client.js'),
    import('./install.js'),
    import('../../kube/apply.js'),
    import('./summary.js'),
  ]);
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
    cliPath = await withGroup(env.log, `Dapr CLI ${cli.version}`, () => installVerifiedTool(daprCliRelease(cli.version, cli.baseUrl), { log: env.log }), env.timings);
    env.addPath(cliPath.slice(0, cliPath.lastIndexOf('/')));
  }

  const { readTrustBundle, daysLeft } = await import('../../dapr/certs.js');
  const certs = await readTrustBundle(kc, inputs.namespace);
  const now = new Date();
  for (const [what, c] of [['trust anchor', certs.trustAnchor], ['issuer certificate', certs.issuer]] as const) {
    if (!c) continue;
    const days = daysLeft(c.expires, now);
    env.log.info(`Dapr mTLS ${what} (${c.subject}) expires ${c.expires.toISOString()} (in ${days} days)`);
    if (days < inputs.certWarnDays) {
      env.log.warning(`the Dapr mTLS ${what} expires ${c.expires.toISOString()}, in ${days} days (cert-warn-days: ${inputs.certWarnDays}): renew it before then (dapr mtls renew-certificate), or sidecars lose mTLS when it lapses`);
    }
  }
  const componentsChanged = applied.filter((a) => a.result !== 'unchanged').length;
  const changed = controlPlane.changed || componentsChanged > 0;
  const crdsChanged = controlPlane.crds.filter((c) => c.result !== 'unchanged').length;
  env.log.info(changed ? `changed: control plane ${controlPlane.action}, ${crdsChanged} CRDs and ${componentsChanged} resources created or configured` : 'no changes: Dapr, its CRDs and every resource were already as declared');
  env.setOutputs({
    'dapr-version': controlPlane.version,
    changed,
    'control-plane': controlPlane.action,
    'components-applied': applied.length,
    'components-changed': componentsChanged,
    crds: controlPlane.crds.map((c) => `${c.name}=${c.result}`).join(','),
    'crds-changed': controlPlane.crds.filter((c) => c.result !== 'unchanged').length,
    'cli-path': cliPath,
    'trust-anchor-expires': certs.trustAnchor?.expires.toISOString(),
    'issuer-expires': certs.issuer?.expires.toISOString(),
  });
  env.writeSummary(renderSummary(inputs, controlPlane, applied, changed, env.timings, certs, now));
}
