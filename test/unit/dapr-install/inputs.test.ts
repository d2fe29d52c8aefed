import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDaprInstallInputs, type DaprInstallInputs } from '../../../src/actions/dapr-install/inputs.js';
import { DAPR_HELM_REPO } from '../../../src/dapr/control-plane.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { DAPR_VERSION } from '../../../src/versions.js';
import { configError } from '../../support/config-error.js';

/*
 * Every input of action.yml, good and bad values, as tables: a new case is one line. The workspace holds real
 * charts (a packaged .tgz and a directory), values files, component files and a kubeconfig; a second folder
 * stands for the rest of the runner (outside the workspace) and a third for RUNNER_TEMP.
 */
const workspace = mkdtempSync(join(tmpdir(), 'dapr-inputs-'));
const runnerTemp = mkdtempSync(join(tmpdir(), 'dapr-inputs-temp-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'dapr-inputs-elsewhere-'));
const ws = (name: string): string => join(workspace, name);

function chartDir(dir: string, name: string, version: string, appVersion = version): string {
  mkdirSync(join(dir, 'charts', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), `apiVersion: v1\nname: ${name}\nversion: '${version}'\nappVersion: '${appVersion}'\n`);
  writeFileSync(join(dir, 'charts', 'sub', 'Chart.yaml'), 'apiVersion: v1\nname: sub\nversion: 9.9.9\n');
  return dir;
}
function packaged(file: string, name: string, version: string): void {
  const tmp = mkdtempSync(join(tmpdir(), 'chart-'));
  chartDir(join(tmp, name), name, version);
  execFileSync('tar', ['-czf', file, '-C', tmp, name]);
}
packaged(ws('dapr-1.18.2.tgz'), 'dapr', '1.18.2');
packaged(ws('dapr-1.17.0.tgz'), 'dapr', '1.17.0');
chartDir(ws('dapr-chart'), 'dapr', '1.18.2');
chartDir(ws('todo-chart'), 'todo', '1.18.2');
mkdirSync(ws('no-chart'));
writeFileSync(ws('not-a-chart.tgz'), 'line one\nline two\nline three\nline four password=hunter2-in-file\n');
writeFileSync(ws('values.yaml'), 'global:\n  logAsJson: true\n');
writeFileSync(ws('empty.yaml'), '');
writeFileSync(ws('list.yaml'), '- a\n- b\n- c\n- token=hunter2-in-list\n');
writeFileSync(ws('broken.yaml'), 'global:\n  logAsJson: [true\n');
writeFileSync(ws('own-certs.yaml'), 'dapr_sentry:\n  tls:\n    root:\n      certPEM: |\n        -----BEGIN CERTIFICATE-----\n        MIIB\n        -----END CERTIFICATE-----\n');
writeFileSync(join(runnerTemp, 'kubeconfig'), 'apiVersion: v1\nclusters: []\n');
writeFileSync(join(runnerTemp, 'values.yaml'), 'global:\n  logAsJson: true\n');
writeFileSync(join(elsewhere, 'values.yaml'), 'global:\n  logAsJson: true\n');
symlinkSync(join(elsewhere, 'values.yaml'), ws('linked-values.yaml'));
cpSync(resolve(import.meta.dirname, '..', '..', 'fixtures', 'dapr-components'), ws('components'), { recursive: true });
mkdirSync(ws('no-yaml'));
writeFileSync(ws('plaintext.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.postgresql\n  version: v1\n  metadata:\n    - name: password\n      value: hunter2-in-component\n');
writeFileSync(ws('kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters:\n  - name: c\n    cluster: {server: "https://127.0.0.1:6443"}\ncontexts: []\n');
writeFileSync(ws('not-kubeconfig'), 'token: hunter2-kube-token\n');
writeFileSync(ws('broken-kubeconfig'), 'line1 hunter2-kube-secret\nline2: [unclosed\n');
writeFileSync(join(elsewhere, 'kubeconfig'), 'apiVersion: v1\nclusters: []\n');

writeFileSync(ws('empty-components.yaml'), '# the pub/sub component moved to deploy/dapr/pubsub.yaml\n');
writeFileSync(join(runnerTemp, 'env-kubeconfig'), 'apiVersion: v1\nclusters: []\n');
writeFileSync(join(runnerTemp, 'env-broken-kubeconfig'), 'users:\n- token: hunter2-env-token\n  bad: [\n');
const emptyHome = mkdtempSync(join(tmpdir(), 'dapr-inputs-home-'));

/** The environment of a step after oke-login: KUBECONFIG exported (a file in RUNNER_TEMP). */
const stepEnv = { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp, KUBECONFIG: join(runnerTemp, 'env-kubeconfig'), HOME: emptyHome };
const parse = (values: Record<string, string>, platform = 'linux-amd64', env: NodeJS.ProcessEnv = stepEnv): DaprInstallInputs =>
  parseDaprInstallInputs(new Inputs(objectInputs(values)), env, platform);

describe('dapr-install inputs: defaults', () => {
  it('an empty step is Dapr from its repository, in dapr-system, with the pinned Helm', () => {
    expect(parse({})).toMatchObject({
      daprVersion: DAPR_VERSION, chart: { kind: 'repo', repo: DAPR_HELM_REPO }, namespace: 'dapr-system', ha: false, valuesFiles: [], set: [],
      schedulerStorage: 'persistent', timeoutMs: 600_000, allowDowngrade: false, componentFiles: [], components: [], componentsNamespace: 'default',
      allowPlaintextSecrets: false, kubeconfig: undefined, cli: undefined, certWarnDays: 30, rotateCertificates: 'never', certValidityDays: 365,
      restartOutdatedSidecars: false, helm: { version: '4.2.3' },
    });
  });
});

const good: Array<[string, Record<string, string>, Partial<Record<keyof DaprInstallInputs, unknown>>]> = [
    ['dapr-version with a leading v', { 'dapr-version': 'v1.17.0' }, { daprVersion: '1.17.0' }],
    ['dapr-version, a release candidate', { 'dapr-version': '1.19.0-rc.1' }, { daprVersion: '1.19.0-rc.1' }],
    ['chart-repo, a mirror', { 'chart-repo': 'https://charts.example.com/dapr/' }, { chart: { kind: 'repo', repo: 'https://charts.example.com/dapr/' } }],
    ['chart-repo over plain http, allowed', { 'chart-repo': 'http://127.0.0.1:8080/charts', 'allow-insecure-download': 'true' }, { chart: { kind: 'repo', repo: 'http://127.0.0.1:8080/charts' } }],
    ['chart-repo, a path with an @ in it', { 'chart-repo': 'https://charts.example.com/dapr@v2/' }, { chart: { kind: 'repo', repo: 'https://charts.example.com/dapr@v2/' } }],
    ['cli-version at its default without install-cli', { 'cli-version': '1.18.0', 'cli-base-url': 'https://github.com/dapr/cli/releases/download' }, { cli: undefined }],
    ['chart, a packaged chart of dapr-version', { chart: 'dapr-1.18.2.tgz' }, { chart: { kind: 'local', path: ws('dapr-1.18.2.tgz') } }],
    ['chart, another version with its dapr-version', { chart: 'dapr-1.17.0.tgz', 'dapr-version': '1.17.0' }, { chart: { kind: 'local', path: ws('dapr-1.17.0.tgz') } }],
    ['chart, a chart directory', { chart: 'dapr-chart' }, { chart: { kind: 'local', path: ws('dapr-chart') } }],
    ['chart, with chart-repo at its action.yml default', { chart: 'dapr-1.18.2.tgz', 'chart-repo': DAPR_HELM_REPO }, { chart: { kind: 'local', path: ws('dapr-1.18.2.tgz') } }],
    ['chart, an oci:// reference', { chart: 'oci://registry.example.com/charts/dapr' }, { chart: { kind: 'oci', ref: 'oci://registry.example.com/charts/dapr' } }],
    ['namespace', { namespace: 'dapr' }, { namespace: 'dapr' }],
    ['ha', { ha: 'TRUE' }, { ha: true }],
    ['values-files, one per line', { 'values-files': 'values.yaml\nempty.yaml' }, { valuesFiles: [ws('values.yaml'), ws('empty.yaml')] }],
    ['values-files in RUNNER_TEMP', { 'values-files': join(runnerTemp, 'values.yaml') }, { valuesFiles: [join(runnerTemp, 'values.yaml')] }],
    ['values-files outside, allowed', { 'values-files': join(elsewhere, 'values.yaml'), 'allow-outside-workspace': 'true' }, { valuesFiles: [join(elsewhere, 'values.yaml')] }],
    ['set', { set: 'global.logAsJson=true\ndapr_operator.env=a=b' }, { set: [{ key: 'global.logAsJson', value: 'true' }, { key: 'dapr_operator.env', value: 'a=b' }] }],
    ['scheduler-storage', { 'scheduler-storage': 'In-Memory' }, { schedulerStorage: 'in-memory' }],
    ['timeout', { timeout: '1h' }, { timeoutMs: 3_600_000 }],
    ['allow-downgrade', { 'allow-downgrade': 'true' }, { allowDowngrade: true }],
    ['components, a directory', { components: 'components', 'components-namespace': 'todo' }, { componentFiles: [ws('components/pubsub.yaml'), ws('components/resiliency.yaml')], componentsNamespace: 'todo' }],
    ['allow-plaintext-secrets', { 'allow-plaintext-secrets': 'true' }, { allowPlaintextSecrets: true }],
    ['cert-warn-days', { 'cert-warn-days': '3650' }, { certWarnDays: 3650 }],
    ['rotate-certificates: expiring', { 'rotate-certificates': 'Expiring', 'values-files': 'values.yaml' }, { rotateCertificates: 'expiring' }],
    ['rotate-certificates: true', { 'rotate-certificates': 'true', 'cert-validity-days': '90' }, { rotateCertificates: 'always', certValidityDays: 90 }],
    ['restart-outdated-sidecars', { 'restart-outdated-sidecars': 'true' }, { restartOutdatedSidecars: true }],
    ['kubeconfig', { kubeconfig: 'kubeconfig' }, { kubeconfig: ws('kubeconfig') }],
    ['kubeconfig outside, allowed', { kubeconfig: join(elsewhere, 'kubeconfig'), 'allow-outside-workspace': 'true' }, { kubeconfig: join(elsewhere, 'kubeconfig') }],
    ['helm-version: preinstalled', { 'helm-version': 'preinstalled' }, { helm: { version: 'preinstalled' } }],
    ['helm-version: 3', { 'helm-version': '3' }, { helm: { version: '3.18.0' } }],
    ['helm-base-url over http, allowed', { 'helm-base-url': 'http://mirror/helm', 'allow-insecure-download': 'true' }, { helm: { baseUrl: 'http://mirror/helm', allowInsecure: true } }],
    ['certificates in the values when nothing rotates them', { 'values-files': 'own-certs.yaml' }, { rotateCertificates: 'never' }],
    ['what the chart accepts: HA with its anti-affinity', { ha: 'true', set: 'global.ha.podAntiAffinityPolicy=requiredDuringSchedulingIgnoredDuringExecution\ndapr_sidecar_injector.sidecarRunAsUser=1000' }, { ha: true, schedulerStorage: 'persistent' }],
    ['what the chart accepts: a root sidecar as user 0', { 'scheduler-storage': 'in-memory', set: 'dapr_sidecar_injector.sidecarRunAsNonRoot=false\ndapr_sidecar_injector.sidecarRunAsUser=0' }, { schedulerStorage: 'in-memory' }],
    ['install-cli with cli-version, cli-sha256 and cli-base-url', { 'install-cli': 'true', 'cli-version': 'v1.18.2', 'cli-sha256': 'C'.repeat(64), 'cli-base-url': 'https://mirror.example.com/cli/' }, { cli: { version: '1.18.2', baseUrl: 'https://mirror.example.com/cli', expected: { given: { sha256: 'c'.repeat(64), input: 'cli-sha256' } } } }],
    ['cli-checksum-url', { 'install-cli': 'true', 'cli-version': '1.18.2', 'cli-checksum-url': 'https://example.com/dapr.sha256' }, { cli: { expected: { checksumUrl: { url: 'https://example.com/dapr.sha256', input: 'cli-checksum-url' } } } }],
    ['helm-version with helm-sha256', { 'helm-version': '4.1.4', 'helm-sha256': 'a'.repeat(64) }, { helm: { version: '4.1.4', expected: { given: { sha256: 'a'.repeat(64), input: 'helm-sha256' } } } }],
    ['helm-checksum-url', { 'helm-version': '4.1.4', 'helm-checksum-url': 'https://example.com/helm.sha256sum' }, { helm: { expected: { checksumUrl: { url: 'https://example.com/helm.sha256sum', input: 'helm-checksum-url' } } } }],
    ['helm-base-url, an https mirror', { 'helm-base-url': 'https://mirror.example.com/helm' }, { helm: { baseUrl: 'https://mirror.example.com/helm' } }],
    ['components-namespace', { 'components-namespace': 'todo-apps' }, { componentsNamespace: 'todo-apps' }],
    ['allow-outside-workspace: false keeps RUNNER_TEMP', { 'allow-outside-workspace': 'false', kubeconfig: join(runnerTemp, 'kubeconfig') }, { kubeconfig: join(runnerTemp, 'kubeconfig') }],
];

describe('dapr-install inputs: good values', () => {
  it.each(good)('%s', (_name, values, expected) => expect(parse(values)).toMatchObject(expected));

  it('reads the components with the rest of the inputs, in components-namespace', () => {
    const i = parse({ components: 'components', 'components-namespace': 'todo' });
    expect(i.components.map((c) => `${c.resource.kind}/${c.resource.metadata.name}@${c.resource.metadata.namespace}`)).toEqual(['Component/taskpubsub@todo', 'Subscription/task-events@todo', 'Resiliency/todo-resiliency@todo']);
  });

  it('installs the pinned CLI, or another version with its SHA-256 from an http mirror when allowed', () => {
    expect(parse({ 'install-cli': 'true' }).cli).toEqual({ version: '1.18.0', baseUrl: 'https://github.com/dapr/cli/releases/download', allowInsecure: false, expected: { pinned: '2a94739e0aa101289d88418225319562bc6800db273b3d9cf819a0efd1ea1bfe' } });
    const sha = 'c'.repeat(64);
    expect(parse({ 'install-cli': 'true', 'cli-version': 'v1.18.2', 'cli-sha256': sha, 'cli-base-url': 'http://127.0.0.1:9/cli', 'allow-insecure-download': 'true' }).cli).toEqual({ version: '1.18.2', baseUrl: 'http://127.0.0.1:9/cli', allowInsecure: true, expected: { given: { sha256: sha, input: 'cli-sha256' } } });
    expect(parse({ 'install-cli': 'true', 'cli-version': '1.18.2', 'cli-checksum-url': 'https://example.com/dapr.sha256' }).cli).toMatchObject({ version: '1.18.2', expected: { checksumUrl: { url: 'https://example.com/dapr.sha256', input: 'cli-checksum-url' } } });
  });

  it('defaults to the pinned Helm from get.helm.sh', () => {
    expect(parse({}).helm).toEqual({ version: '4.2.3', baseUrl: 'https://get.helm.sh', allowInsecure: false, expected: { pinned: 'e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c' } });
  });
});

const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['dapr-version, a range', { 'dapr-version': '^1.18' }, /^dapr-version: "\^1\.18" is not an exact version\. Fix: write an exact release version such as 1\.18\.2/],
    ['dapr-version: latest', { 'dapr-version': 'latest' }, /^dapr-version: "latest" is not an exact version/],
    ['dapr-version the chart does not install', { chart: 'dapr-1.18.2.tgz', 'dapr-version': '9.9.9' }, /^dapr-version: 9\.9\.9 is not what the chart at dapr-1\.18\.2\.tgz installs: Dapr 1\.18\.2 \(chart version 1\.18\.2\)\. Fix: set dapr-version: 1\.18\.2, or point chart at the chart of Dapr 9\.9\.9/],
    ['dapr-version defaulted, the chart of another Dapr', { chart: 'dapr-1.17.0.tgz' }, /^dapr-version: 1\.18\.2 is not what the chart at dapr-1\.17\.0\.tgz installs: Dapr 1\.17\.0/],
    ['dapr-version against a chart directory', { chart: 'dapr-chart', 'dapr-version': '1.17.0' }, /^dapr-version: 1\.17\.0 is not what the chart at dapr-chart installs: Dapr 1\.18\.2/],
    ['chart-repo, not a URL', { 'chart-repo': 'charts.example.com' }, /^chart-repo: "charts\.example\.com" is not a URL\. Fix: write a full https or http URL/],
    ['chart-repo, another scheme', { 'chart-repo': 'ftp://charts.example.com/' }, /^chart-repo: "ftp:\/\/charts\.example\.com\/" uses ftp:\/\/, which is not supported here/],
    ['chart-repo with whitespace', { 'chart-repo': 'https://charts.example.com/a b' }, /^chart-repo: .* (contains whitespace|is not a URL)/],
    ['chart-repo with credentials', { 'chart-repo': 'https://bob:hunter2@charts.example.com/' }, /^chart-repo: "https:\/\/\*\*\*@charts\.example\.com\/" has credentials in it/],
    ['chart-repo with a password holding a /', { 'chart-repo': 'https://bob:hunter2/x@charts.example.com/' }, /^chart-repo: "https:\/\/\*\*\*@charts\.example\.com\/" has credentials in it/],
    ['chart-repo over plain http', { 'chart-repo': 'http://charts.example.com/dapr' }, /^chart-repo: "http:\/\/charts\.example\.com\/dapr" uses plain http, which anyone on the path can change.*Fix: use https:\/\/, e\.g\. https:\/\/dapr\.github\.io\/helm-charts\/; or set allow-insecure-download: true/s],
    ['chart, an https:// URL', { chart: 'https://github.com/dapr/helm-charts/releases/download/v1.18.2/dapr-1.18.2.tgz' }, /^chart: "https:\/\/github\.com\/\S+dapr-1\.18\.2\.tgz" is a URL; chart takes a local chart \(a directory or \.tgz in the workspace\) or an oci:\/\/ reference\. Fix: for a chart repository, set chart-repo/],
    ['chart-repo with a chart override', { chart: 'dapr-1.18.2.tgz', 'chart-repo': 'https://charts.example.com/' }, /^chart-repo: is set together with a chart override \(chart\)\. Fix: use one/],
    ['chart that does not exist', { chart: 'dapr-0.0.1.tgz' }, /^chart: dapr-0\.0\.1\.tgz does not exist \(looked at .*\)\. Fix: check the path/],
    ['chart outside the workspace', { chart: elsewhere }, /^chart: \S+ is outside the workspace .*Fix: use a path inside the workspace, or set allow-outside-workspace: true/],
    ['chart, a directory without Chart.yaml', { chart: 'no-chart' }, /^chart: no-chart is a directory without Chart\.yaml/],
    ['chart, a file that is no chart', { chart: 'not-a-chart.tgz' }, /^chart: not-a-chart\.tgz is not a packaged chart \(\.tgz: gzip data\); it begins:\n {2}\| line one\n {2}\| line two\n {2}\| line three\n {2}\| … \(1 more line/],
    ['chart, another chart', { chart: 'todo-chart' }, /^chart: todo-chart is the chart "todo", not Dapr's chart "dapr"/],
    ['chart, oci:// without a host', { chart: 'oci:charts/dapr' }, /^chart: "oci:charts\/dapr" has no host/],
    ['namespace, upper case', { namespace: 'Dapr_System' }, /^namespace: "Dapr_System" is not a valid namespace name\. Fix: use lowercase letters, digits and "-"/],
    ['namespace, too long', { namespace: 'a'.repeat(64) }, /^namespace: "a{64}" is 64 characters; a namespace name has at most 63/],
    ['ha, not a boolean', { ha: 'yes' }, /^ha: "yes" is not a boolean\. Fix: use true or false/],
    ['values-files that does not exist', { 'values-files': 'nope.yaml' }, /^values-files: nope\.yaml does not exist \(looked at .*nope\.yaml\)\. Fix: check the path/],
    ['values-files, a directory', { 'values-files': 'components' }, /^values-files: components is a directory\. Fix: point it at a file/],
    ['values-files outside the workspace', { 'values-files': join(elsewhere, 'values.yaml') }, /^values-files: \S+values\.yaml is outside the workspace/],
    ['values-files, a symlink out of the workspace', { 'values-files': 'linked-values.yaml' }, /^values-files: linked-values\.yaml is outside the workspace \(\S+linked-values\.yaml -> \S+values\.yaml/],
    ['values-files, broken YAML', { 'values-files': 'broken.yaml' }, /broken\.yaml:3:1: values-files: broken\.yaml is not valid YAML: /],
    ['values-files, a list', { 'values-files': 'list.yaml' }, /^list\.yaml:1: values-files: list\.yaml is a list, not a values file \(a YAML mapping of key: value\); it begins:\n {2}\| - a\n {2}\| - b\n {2}\| - c\n {2}\| … \(1 more line/],
    ['set, a line without =', { set: 'global.logAsJson' }, /^set: line 1 \("global\.logAsJson"\) is not key=value/],
    ['set, a policy the chart refuses', { set: 'global.ha.podAntiAffinityPolicy=sometimes' }, /^set: global\.ha\.podAntiAffinityPolicy="sometimes" is not a policy Dapr's chart accepts/],
    ['set, a root sidecar with a non-zero user', { set: 'dapr_sidecar_injector.sidecarRunAsNonRoot=false\ndapr_sidecar_injector.sidecarRunAsUser=1000' }, /sidecarRunAsUser=1000 with sidecarRunAsNonRoot=false/],
    ['set, a non-root sidecar as user 0', { set: 'dapr_sidecar_injector.sidecarRunAsUser=0' }, /sidecarRunAsUser=0 while the sidecar runs as non-root/],
    ['set, a user id that is not a number', { set: 'dapr_sidecar_injector.sidecarRunAsUser=nobody' }, /sidecarRunAsUser="nobody" is not a user id/],
    ['scheduler-storage, unknown', { 'scheduler-storage': 'disk' }, /^scheduler-storage: "disk" is not one of the allowed values\. Fix: use one of: persistent, in-memory/],
    ['ha with the in-memory scheduler', { ha: 'true', 'scheduler-storage': 'in-memory' }, /^ha: true together with scheduler-storage: in-memory.*Fix: use scheduler-storage: persistent with ha: true/s],
    ['HA through set with the in-memory scheduler', { set: 'global.ha.enabled=true', 'scheduler-storage': 'in-memory' }, /^ha: true together with scheduler-storage: in-memory/],
    ['timeout, a bare number', { timeout: '300' }, /^timeout: "300" is not a duration/],
    ['timeout, too short', { timeout: '5s' }, /^timeout: 5s is shorter than the minimum 10s/],
    ['timeout, too long', { timeout: '2h' }, /^timeout: 2h is longer than the maximum 1h/],
    ['allow-downgrade, not a boolean', { 'allow-downgrade': '1' }, /^allow-downgrade: "1" is not a boolean/],
    ['components that do not exist', { components: 'nope/' }, /^components: nope\/ does not exist/],
    ['components, a directory without YAML', { components: 'no-yaml' }, /^components: directory no-yaml has no \.yaml or \.yml files/],
    ['components outside the workspace', { components: elsewhere }, /^components: \S+ is outside the workspace/],
    ['components with a plaintext secret', { components: 'plaintext.yaml' }, /plaintext\.yaml:10:14: components \(spec\.metadata\[0\]\.value\): metadata "password" holds a plaintext value that looks like a secret/],
    ['components, a file with nothing in it', { components: 'empty-components.yaml' }, /empty-components\.yaml: components: \S+empty-components\.yaml holds no Dapr resource \(it is empty, or comments only\)\. Fix: write the resources in it, or take it out of components/],
    ['components-namespace, invalid', { 'components-namespace': 'Todo' }, /^components-namespace: "Todo" is not a valid namespace name/],
    ['allow-plaintext-secrets, not a boolean', { 'allow-plaintext-secrets': 'on' }, /^allow-plaintext-secrets: "on" is not a boolean/],
    ['install-cli, not a boolean', { 'install-cli': 'sure' }, /^install-cli: "sure" is not a boolean/],
    ['cli-version: latest', { 'install-cli': 'true', 'cli-version': 'latest' }, /^cli-version: "latest" is not an exact version/],
    ['cli-version not pinned, no SHA-256', { 'install-cli': 'true', 'cli-version': '1.18.2' }, /^cli-version: the Dapr CLI 1\.18\.2 is not pinned in this action \(pinned: 1\.18\.0\), so its SHA-256 must come from you/],
    ['cli-sha256, not a SHA-256', { 'install-cli': 'true', 'cli-version': '1.18.2', 'cli-sha256': 'abc' }, /(^|- )cli-sha256: "abc" is not a SHA-256/],
    ['cli-checksum-url over http', { 'install-cli': 'true', 'cli-version': '1.18.2', 'cli-checksum-url': 'http://example.com/x.sha256' }, /(^|- )cli-checksum-url: "http:\/\/example\.com\/x\.sha256" uses plain http/],
    ['cli-base-url over http', { 'install-cli': 'true', 'cli-base-url': 'http://mirror/cli' }, /^cli-base-url: "http:\/\/mirror\/cli" uses plain http/],
    ['cli-sha256 without install-cli', { 'cli-sha256': 'c'.repeat(64) }, /^cli-sha256: is set, but install-cli is false: the Dapr CLI is not installed, so it would do nothing\. Fix: set install-cli: true to install the CLI, or remove cli-sha256/],
    ['cli-version other than the default without install-cli', { 'cli-version': '1.19.0', 'cli-checksum-url': 'https://example.com/dapr.sha256' }, /^2 problems:\n- cli-version: is set, but install-cli is false.*\n- cli-checksum-url: is set, but install-cli is false/s],
    ['cert-warn-days, not a number', { 'cert-warn-days': 'thirty' }, /^cert-warn-days: "thirty" is not a whole number/],
    ['cert-warn-days, 0', { 'cert-warn-days': '0' }, /^cert-warn-days: 0 is out of range\. Fix: use a number between 1 and 3650/],
    ['rotate-certificates, unknown', { 'rotate-certificates': 'soon' }, /^rotate-certificates: "soon" is not one of the allowed values.*false, true, expiring/s],
    ['rotation with certificates from a values file', { 'rotate-certificates': 'true', 'values-files': 'own-certs.yaml' }, /^rotate-certificates: true while the chart values bring their own certificates \(.*own-certs\.yaml: dapr_sentry\.tls\.root\.certPEM\).*Fix: renew the certificates where they come from/s],
    ['rotation with certificates from set', { 'rotate-certificates': 'expiring', set: 'dapr_sentry.tls.issuer.keyPEM=abc' }, /set: dapr_sentry\.tls\.issuer\.keyPEM/],
    ['rotation with mTLS off', { 'rotate-certificates': 'true', set: 'global.mtls.enabled=false' }, /^rotate-certificates: true while mTLS is off/],
    ['cert-validity-days, 0', { 'cert-validity-days': '0' }, /^cert-validity-days: 0 is out of range/],
    ['restart-outdated-sidecars, not a boolean', { 'restart-outdated-sidecars': 'yes' }, /^restart-outdated-sidecars: "yes" is not a boolean/],
    ['helm-version not pinned', { 'helm-version': '4.1.4' }, /^helm-version: Helm 4\.1\.4 is not pinned in this action/],
    ['helm-sha256, not a SHA-256', { 'helm-sha256': 'xyz' }, /^helm-sha256: "xyz" is not a SHA-256/],
    ['helm-checksum-url, not a URL', { 'helm-version': '4.1.4', 'helm-checksum-url': 'nope' }, /helm-checksum-url: "nope" is not a URL/],
    ['helm-base-url over http', { 'helm-base-url': 'http://mirror/helm' }, /^helm-base-url: "http:\/\/mirror\/helm" uses plain http/],
    ['allow-insecure-download, not a boolean', { 'allow-insecure-download': 'maybe' }, /^allow-insecure-download: "maybe" is not a boolean/],
    ['kubeconfig that does not exist', { kubeconfig: 'nope' }, /^kubeconfig: nope does not exist/],
    ['kubeconfig outside the workspace', { kubeconfig: join(elsewhere, 'kubeconfig') }, /^kubeconfig: \S+kubeconfig is outside the workspace/],
    ['kubeconfig that is no kubeconfig', { kubeconfig: 'not-kubeconfig' }, /^not-kubeconfig: kubeconfig: not-kubeconfig is not a kubeconfig \(no clusters list in it\)/],
    ['kubeconfig that is not YAML', { kubeconfig: 'broken-kubeconfig' }, /^broken-kubeconfig:2:\d+: kubeconfig: broken-kubeconfig is not valid YAML: /],
    ['allow-outside-workspace, not a boolean', { 'allow-outside-workspace': 'yes' }, /^allow-outside-workspace: "yes" is not a boolean/],
];

describe('dapr-install inputs: bad values, each naming its input and the fix', () => {
  it.each(bad)('refuses %s', (_name, values, message) => {
    const err = configError(() => parse(values));
    expect(err.message).toMatch(message);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a chart that is no chart', { chart: 'not-a-chart.tgz' }, 'hunter2-in-file'],
    ['a values file that is a list', { 'values-files': 'list.yaml' }, 'hunter2-in-list'],
    ['a kubeconfig that is no kubeconfig', { kubeconfig: 'not-kubeconfig' }, 'hunter2-kube-token'],
    ['a kubeconfig that is not YAML', { kubeconfig: 'broken-kubeconfig' }, 'hunter2-kube-secret'],
    ['a component with a plaintext secret', { components: 'plaintext.yaml' }, 'hunter2-in-component'],
    ['a chart-repo with a password', { 'chart-repo': 'https://bob:hunter2-url@charts.example.com/' }, 'hunter2-url'],
    ['an oci:// chart with a password', { chart: 'oci://bob:hunter2-oci@registry.example.com/dapr' }, 'hunter2-oci'],
    ['a chart-repo with a password holding a /', { 'chart-repo': 'https://bob:hunter2-url/x@charts.example.com/' }, 'hunter2-url'],
    ['a chart URL with a password', { chart: 'https://bob:hunter2-url@charts.example.com/dapr-1.18.2.tgz' }, 'hunter2-url'],
  ])('shows no more of %s than a short excerpt: never its secret', (_name, values, secret) => {
    expect(configError(() => parse(values)).message).not.toContain(secret);
  });
});

describe('dapr-install inputs: the kubeconfig the step will use when the input is empty', () => {
  const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp, HOME: emptyHome, ...extra });

  it('takes KUBECONFIG (its first file) or ~/.kube/config', () => {
    expect(parse({}, 'linux-amd64', env({ KUBECONFIG: `${join(runnerTemp, 'env-kubeconfig')}:${join(runnerTemp, 'nope')}` })).kubeconfig).toBeUndefined();
    const home = mkdtempSync(join(tmpdir(), 'dapr-inputs-home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\nclusters: []\n');
    expect(parse({}, 'linux-amd64', env({ HOME: home })).kubeconfig).toBeUndefined();
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ['nothing at all', {}, /^kubeconfig: is not set and no kubeconfig was found: KUBECONFIG is unset, there is no ~\/\.kube\/config and no in-cluster service account \(the Kubernetes client would try http:\/\/localhost:8080\)\. Fix: run oke-login/],
    ['a KUBECONFIG file that does not exist', { KUBECONFIG: join(runnerTemp, 'nope') }, /^KUBECONFIG: the kubeconfig file \S+nope does not exist\. Fix: run oke-login/],
    ['a KUBECONFIG file that is not YAML', { KUBECONFIG: join(runnerTemp, 'env-broken-kubeconfig') }, /env-broken-kubeconfig:\d+:\d+: KUBECONFIG: \S+ is not valid YAML/],
  ])('refuses %s, with the other problems of the inputs', (_name, extra, message) => {
    const err = configError(() => parse({}, 'linux-amd64', env(extra)));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('hunter2');
    expect(configError(() => parse({ timeout: 'soon' }, 'linux-amd64', env(extra))).problems.map((p) => p.input).sort()).toEqual([err.problems[0]!.input, 'timeout'].sort());
  });
});

describe('dapr-install inputs: the tables cover action.yml', () => {
  const declared = Object.keys((load(readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'actions', 'dapr-install', 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  it.each(declared)('%s has a good and a bad case', (input) => {
    expect(good.some(([, values]) => input in values)).toBe(true);
    expect(bad.some(([, values, message]) => input in values && message.source.includes(input))).toBe(true);
  });
});

describe('dapr-install inputs: every problem together', () => {
  it('reports the chart-repo conflict with the other problems, not after them', () => {
    const err = configError(() => parse({ chart: 'dapr-1.18.2.tgz', 'chart-repo': 'https://charts.example.com/', namespace: 'Bad_NS', timeout: 'soon' }));
    expect(err.problems.map((p) => p.input).sort()).toEqual(['chart-repo', 'namespace', 'timeout']);
  });

  it('reports the chart version, the files and the values in one message', () => {
    const err = configError(() => parse({
      chart: 'dapr-1.17.0.tgz', 'dapr-version': '1.18.2', 'values-files': 'nope.yaml\nlist.yaml', components: 'nope/', kubeconfig: 'not-kubeconfig',
      ha: 'true', 'scheduler-storage': 'in-memory', set: 'global.ha.podAntiAffinityPolicy=x', 'cert-warn-days': '0',
    }));
    expect(err.problems.map((p) => p.input)).toEqual(['dapr-version', 'values-files', 'values-files', 'cert-warn-days', 'components', 'kubeconfig', 'ha', 'set']);
    expect(err.message).toMatch(/^8 problems:\n- dapr-version: 1\.18\.2 is not what the chart at dapr-1\.17\.0\.tgz installs/);
  });
});
