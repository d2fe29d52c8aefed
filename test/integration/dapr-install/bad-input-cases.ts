/**
 * The bad-input table of dapr-install (bad-inputs.test.ts): each case is a valid run against the stack's cluster
 * (the `base`: the stack's Dapr chart, copied into a temporary workspace) with one thing wrong, the inputs the
 * ::error:: line must name, what it must say, and the secrets that must appear nowhere. Built synchronously when
 * the test module loads (no child process, no server): the chart repository the `chart-repo` cases need is
 * started by the test file, and named here as REPO_URL until then.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { load } from 'js-yaml';

export interface BadInputCase {
  name: string;
  /** Overrides of the base inputs ('' clears one: the harness passes it, the action reads it as unset). */
  inputs: Record<string, string>;
  /** Overrides of the base environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** The input the problem is reported on (first), and any others the message must name. */
  names: [string, ...string[]];
  /** What the message must say (the diagnosis, not just the input). */
  says: RegExp;
  /** Secret values of this case: they must appear in nothing the run printed or wrote. */
  secrets?: string[];
  /**
   * Refused once the action reads the cluster or the chart (the inputs themselves are well-formed): read-only
   * Helm commands (version, history, show) may run. Every other case is refused before Helm runs at all.
   */
  runtime?: boolean;
  /** Namespaces the case names that do not exist: they must not exist afterwards either. */
  absent?: string[];
}

/** What the table is built from: the stack's charts, registry, kubeconfig and Helm. */
export interface StackFacts {
  /** The stack's packaged Dapr chart (.tgz) and the Dapr it installs. */
  chart: string;
  version: string;
  /** The previous Dapr minor's chart and version. */
  previousChart: string;
  previousVersion: string;
  registry: string;
  kubeconfig: string;
  /** The real helm 4 binary, wrapped (see helmGuard). */
  helm: string;
}

export interface CaseTable {
  workspace: string;
  /** A folder outside the workspace and RUNNER_TEMP (the rest of the runner). */
  outside: string;
  base: Record<string, string>;
  env: Record<string, string>;
  /** The kubeconfig's credentials: every case runs with it, none may print it. */
  secrets: string[];
  cases: BadInputCase[];
  /** The file the guarded helm appends each command line to. */
  helmLog: string;
  /** The chart repository the test serves: its files by path. */
  repoFiles: Record<string, Buffer>;
  /** REPO_URL in inputs replaced by the repository's URL once it listens. */
  resolve(values: Record<string, string>, repoUrl: string): Record<string, string>;
  close(): void;
}

export const REPO_URL = '@REPO_URL@';

/** Helm commands that read only: the guard runs them, and a case may run nothing else. */
export const READ_ONLY_HELM = ['version', 'history', 'show', 'status', 'get', 'list', 'search'];

/**
 * `helm` on the action's PATH (helm-version: preinstalled): the stack's helm 4 for read-only commands, logged;
 * anything else is refused with exit 97 before it runs, so that a case the action wrongly accepted fails its test
 * without installing or upgrading the cluster's Dapr.
 */
function helmGuard(dir: string, helm: string, log: string): void {
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$*" >> '${log}'`,
    'case "$1" in',
    `  ${READ_ONLY_HELM.join('|')}) exec '${helm}' "$@" ;;`,
    'esac',
    'echo "bad-inputs test: helm $1 refused (only read-only commands may run)" >&2',
    'exit 97',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'helm'), script);
  chmodSync(join(dir, 'helm'), 0o755);
}

/** A gzipped tar of one small chart directory `dapr/` (Chart.yaml only), made without a child process. */
export function tinyChart(name: string, version: string, appVersion: string): Buffer {
  const body = Buffer.from(`apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: "${appVersion}"\ndescription: stand-in of Dapr's chart for the bad-input table\n`);
  const header = Buffer.alloc(512);
  header.write(`${name}/Chart.yaml`, 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return gzipSync(Buffer.concat([header, body, pad, Buffer.alloc(1024)]));
}

/** The credentials of a kubeconfig (client keys, tokens, passwords), each as it is written in the file. */
function kubeconfigSecrets(file: string): string[] {
  const doc = load(readFileSync(file, 'utf8')) as { users?: Array<{ user?: Record<string, unknown> }> } | undefined;
  return (doc?.users ?? []).flatMap((u) => ['client-key-data', 'token', 'password'].map((k) => u.user?.[k]).filter((v): v is string => typeof v === 'string' && v.length >= 8));
}

export function caseTable(facts: StackFacts): CaseTable {
  const ws = mkdtempSync(join(tmpdir(), 'dapr-bad-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'dapr-bad-outside-'));
  const bin = mkdtempSync(join(tmpdir(), 'dapr-bad-bin-'));
  const emptyHome = mkdtempSync(join(tmpdir(), 'dapr-bad-home-'));
  const helmLog = join(bin, 'helm.log');
  writeFileSync(helmLog, '');
  helmGuard(bin, facts.helm, helmLog);
  const secret = (what: string): string => `${what}-s3cret-${randomUUID().slice(0, 8)}`;
  const s = {
    notChart: secret('chart-file'), listValues: secret('values-list'), component: secret('component'), brokenComponent: secret('broken-component'),
    brokenKube: secret('kube-token'), notKube: secret('kube-token'), repoPassword: secret('repo-password'), repoSlash: `${secret('repo')}/part`,
    ociPassword: secret('oci-password'), setValue: secret('issuer-key'), setEmptyKey: secret('set-value'), envKube: secret('env-kube-token'),
  };
  const chart = `dapr-${facts.version}.tgz`;
  const previous = `dapr-${facts.previousVersion}.tgz`;
  const files: Record<string, string | Buffer> = {
    'todo-chart/Chart.yaml': 'apiVersion: v2\nname: todo\nversion: 1.18.2\n',
    'no-chart/README.md': 'not a chart\n',
    'not-a-chart.tgz': `line one\nline two\nline three\nline four\npassword=${s.notChart}\n`,
    'values/list.yaml': `- a\n- b\n- c\n- d\n- token=${s.listValues}\n`,
    'values/broken.yaml': 'global:\n  logAsJson: [true\n',
    'values/binary.bin': Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37) % 256)),
    'values/own-certs.yaml': 'dapr_sentry:\n  tls:\n    root:\n      certPEM: |\n        -----BEGIN CERTIFICATE-----\n        MIIB\n        -----END CERTIFICATE-----\n',
    'components/plaintext/store.yaml': `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.postgresql\n  version: v1\n  metadata:\n    - name: connectionString\n      value: "host=db password=${s.component}"\n`,
    'components/wrong-kind.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: store\nspec: {}\n',
    'components/bad-name.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: Store_1\nspec:\n  type: state.postgresql\n  version: v1\n',
    'components/bad-type.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: postgresql\n  version: 1\n',
    'components/broken.yaml': `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: [\n  name: store\nspec:\n  metadata:\n    - name: password\n      value: ${s.brokenComponent}\n`,
    'components/empty.yaml': '# the pub/sub component moved to deploy/dapr/pubsub.yaml\n',
    'components/other-namespace.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envsecrets\n  namespace: kube-system\nspec:\n  type: secretstores.local.env\n  version: v1\n',
    'components/binary.yaml': Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 53) % 256)),
    'components/no-yaml/notes.txt': 'components live elsewhere\n',
    'components/good/envsecrets.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envsecrets\nspec:\n  type: secretstores.local.env\n  version: v1\n  metadata: []\n',
    'kube/broken': `users:\n- token: ${s.brokenKube}\n  bad: [\n`,
    'kube/not-kubeconfig': `token: ${s.notKube}\n`,
    'kube/binary': Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 91) % 256)),
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(ws, name, '..'), { recursive: true });
    writeFileSync(join(ws, name), content);
  }
  mkdirSync(join(ws, 'values', 'a-directory'));
  copyFileSync(facts.chart, join(ws, chart));
  copyFileSync(facts.previousChart, join(ws, previous));
  writeFileSync(join(outside, 'values.yaml'), 'global:\n  logAsJson: true\n');
  mkdirSync(join(outside, 'components'));
  writeFileSync(join(outside, 'components', 'envsecrets.yaml'), files['components/good/envsecrets.yaml']!);
  writeFileSync(join(outside, 'kubeconfig-token'), `apiVersion: v1\nclusters: []\nusers:\n- name: u\n  user:\n    token: ${s.envKube}\n  broken: [\n`);
  const missingNs = `dapr-bad-${randomUUID().slice(0, 8)}`;

  // The chart repository: a stand-in of Dapr's chart (Chart.yaml only) that says it is chart 1.18.x+1 of Dapr <version>.
  const [maj, min, patch] = facts.version.split(/[.-]/).map(Number);
  const mislabelled = `${maj}.${min}.${patch! + 1}`;
  const repoFiles: Record<string, Buffer> = {
    [`/dapr-${mislabelled}.tgz`]: tinyChart('dapr', mislabelled, facts.version),
    [`/dapr-${facts.version}.tgz`]: tinyChart('dapr', facts.version, facts.version),
  };
  const index = `apiVersion: v1\nentries:\n  dapr:\n${[mislabelled, facts.version].map((v) => `  - apiVersion: v2\n    name: dapr\n    version: ${v}\n    appVersion: "${facts.version}"\n    urls:\n    - ${REPO_URL}/dapr-${v}.tgz\n`).join('')}generated: "2026-12-01T00:00:00Z"\n`;
  repoFiles['/index.yaml'] = Buffer.from(index);

  const base: Record<string, string> = {
    chart, 'dapr-version': facts.version, namespace: 'dapr-system', 'scheduler-storage': 'in-memory', timeout: '60s',
    set: `global.registry=${facts.registry}`, 'helm-version': 'preinstalled', 'components-namespace': 'default',
  };
  const env: Record<string, string> = { KUBECONFIG: facts.kubeconfig, GITHUB_WORKSPACE: ws, PATH: `${bin}:${process.env.PATH ?? ''}` };
  const fromRepo = { chart: '', 'chart-repo': REPO_URL, 'allow-insecure-download': 'true' };
  const OUT = '../../../../../../../../etc/hostname';

  const cases: BadInputCase[] = [
    // dapr-version
    { name: 'dapr-version: latest', inputs: { 'dapr-version': 'latest' }, names: ['dapr-version'], says: /"latest" is not an exact version/ },
    { name: 'dapr-version, a range', inputs: { 'dapr-version': '^1.18' }, names: ['dapr-version'], says: /"\^1\.18" is not an exact version/ },
    { name: 'dapr-version without a patch', inputs: { 'dapr-version': '1.18' }, names: ['dapr-version'], says: /"1\.18" is not an exact version/ },
    { name: 'dapr-version the local chart does not install (its default, with the previous chart)', inputs: { chart: previous, 'dapr-version': '' }, names: ['dapr-version'], says: new RegExp(`is not what the chart at ${previous.replace(/\./g, '\\.')} installs: Dapr ${facts.previousVersion.replace(/\./g, '\\.')}`) },
    { name: 'dapr-version the repository has no chart of', inputs: { ...fromRepo, 'dapr-version': '9.9.9' }, names: ['dapr-version'], says: /9\.9\.9: chart-repo http:\/\/127\.0\.0\.1:\d+\/? has no Dapr chart of that version/, runtime: true },
    { name: "dapr-version that is the repository chart's version, not its Dapr's", inputs: { ...fromRepo, 'dapr-version': mislabelled }, names: ['dapr-version'], says: new RegExp(`${mislabelled.replace(/\./g, '\\.')} is not what the chart at chart-repo \\S+ installs: Dapr ${facts.version.replace(/\./g, '\\.')}`), runtime: true },
    // chart-repo
    { name: 'chart-repo, ftp://', inputs: { chart: '', 'chart-repo': 'ftp://charts.example.com/dapr/' }, names: ['chart-repo'], says: /uses ftp:\/\/, which is not supported here/ },
    { name: 'chart-repo without a scheme', inputs: { chart: '', 'chart-repo': 'dapr.github.io/helm-charts' }, names: ['chart-repo'], says: /"dapr\.github\.io\/helm-charts" is not a URL/ },
    { name: 'chart-repo with a port above 65535', inputs: { chart: '', 'chart-repo': 'https://charts.example.com:70000/dapr' }, names: ['chart-repo'], says: /has port 70000, above the highest port 65535/ },
    { name: 'chart-repo with port 0', inputs: { chart: '', 'chart-repo': 'https://charts.example.com:0/dapr' }, names: ['chart-repo'], says: /has port 0/ },
    { name: 'chart-repo with a user and password', inputs: { chart: '', 'chart-repo': `https://bob:${s.repoPassword}@charts.example.com/dapr` }, names: ['chart-repo'], says: /"https:\/\/\*\*\*@charts\.example\.com\/dapr" has credentials in it/, secrets: [s.repoPassword] },
    { name: 'chart-repo with a password holding a /', inputs: { chart: '', 'chart-repo': `https://bob:${s.repoSlash}@charts.example.com/dapr` }, names: ['chart-repo'], says: /has credentials in it/, secrets: [s.repoSlash, s.repoSlash.split('/')[0]!] },
    { name: 'chart-repo over plain http without allow-insecure-download', inputs: { ...fromRepo, 'allow-insecure-download': '' }, names: ['chart-repo'], says: /uses plain http, which anyone on the path can change.*Fix: use https:\/\/.*or set allow-insecure-download: true/s },
    { name: 'chart-repo together with chart', inputs: { 'chart-repo': 'https://charts.example.com/dapr/' }, names: ['chart-repo'], says: /is set together with a chart override \(chart\)/ },
    // chart
    { name: 'chart outside the workspace (the stack\'s own copy)', inputs: { chart: facts.chart }, names: ['chart'], says: /is outside the workspace .*Fix: .*allow-outside-workspace: true/s },
    { name: 'chart that does not exist', inputs: { chart: 'dapr-0.0.1.tgz' }, names: ['chart'], says: /dapr-0\.0\.1\.tgz does not exist \(looked at / },
    { name: 'chart, a directory without Chart.yaml', inputs: { chart: 'no-chart' }, names: ['chart'], says: /no-chart is a directory without Chart\.yaml/ },
    { name: 'chart, a text file named .tgz', inputs: { chart: 'not-a-chart.tgz' }, names: ['chart'], says: /not-a-chart\.tgz is not a packaged chart/, secrets: [s.notChart] },
    { name: 'chart, another chart than Dapr\'s', inputs: { chart: 'todo-chart' }, names: ['chart'], says: /is the chart "todo", not Dapr's chart "dapr"/ },
    { name: 'chart, an https:// URL of a .tgz', inputs: { chart: `https://github.com/dapr/helm-charts/releases/download/v${facts.version}/dapr-${facts.version}.tgz` }, names: ['chart'], says: /is a URL.*chart-repo/s },
    { name: 'chart, oci:// without a host', inputs: { chart: 'oci:charts/dapr' }, names: ['chart'], says: /has no host/ },
    { name: 'chart, oci:// with a password', inputs: { chart: `oci://bob:${s.ociPassword}@registry.example.com/charts/dapr` }, names: ['chart'], says: /has credentials in it/, secrets: [s.ociPassword] },
    // namespaces
    { name: 'namespace with capitals and _', inputs: { namespace: 'Dapr_System' }, names: ['namespace'], says: /"Dapr_System" is not a valid namespace name/ },
    { name: 'namespace of 64 characters', inputs: { namespace: 'd'.repeat(64) }, names: ['namespace'], says: /is 64 characters; a namespace name has at most 63/ },
    { name: 'components-namespace ending in -', inputs: { 'components-namespace': 'todo-' }, names: ['components-namespace'], says: /"todo-" is not a valid namespace name/ },
    { name: 'components-namespace that does not exist', inputs: { components: 'components/good', 'components-namespace': missingNs }, names: ['components-namespace'], says: new RegExp(`namespace "${missingNs}" does not exist`), runtime: true, absent: [missingNs] },
    // booleans, enums, numbers, durations
    { name: 'ha: yes', inputs: { ha: 'yes' }, names: ['ha'], says: /"yes" is not a boolean/ },
    { name: 'ha with the in-memory scheduler', inputs: { ha: 'true' }, names: ['ha'], says: /true together with scheduler-storage: in-memory/ },
    { name: 'scheduler-storage: memory', inputs: { 'scheduler-storage': 'memory' }, names: ['scheduler-storage'], says: /"memory" is not one of the allowed values.*persistent, in-memory/s },
    { name: 'timeout without a unit', inputs: { timeout: '300' }, names: ['timeout'], says: /"300" is not a duration/ },
    { name: 'timeout below the minimum', inputs: { timeout: '5s' }, names: ['timeout'], says: /5s is shorter than the minimum 10s/ },
    { name: 'timeout above the maximum', inputs: { timeout: '2h' }, names: ['timeout'], says: /2h is longer than the maximum 1h/ },
    { name: 'allow-downgrade: no', inputs: { 'allow-downgrade': 'no' }, names: ['allow-downgrade'], says: /"no" is not a boolean/ },
    { name: 'allow-plaintext-secrets: sometimes', inputs: { 'allow-plaintext-secrets': 'sometimes' }, names: ['allow-plaintext-secrets'], says: /"sometimes" is not a boolean/ },
    { name: 'allow-outside-workspace: perhaps', inputs: { 'allow-outside-workspace': 'perhaps' }, names: ['allow-outside-workspace'], says: /"perhaps" is not a boolean/ },
    { name: 'allow-insecure-download: maybe', inputs: { 'allow-insecure-download': 'maybe' }, names: ['allow-insecure-download'], says: /"maybe" is not a boolean/ },
    { name: 'cert-warn-days: 0', inputs: { 'cert-warn-days': '0' }, names: ['cert-warn-days'], says: /0 is out of range.*between 1 and 3650/s },
    { name: 'cert-validity-days: 1.5', inputs: { 'cert-validity-days': '1.5' }, names: ['cert-validity-days'], says: /"1\.5" is not a whole number/ },
    { name: 'rotate-certificates: always', inputs: { 'rotate-certificates': 'always' }, names: ['rotate-certificates'], says: /"always" is not one of the allowed values.*false, true, expiring/s },
    { name: 'rotate-certificates with mTLS off', inputs: { 'rotate-certificates': 'true', set: `global.registry=${facts.registry}\nglobal.mtls.enabled=false` }, names: ['rotate-certificates'], says: /true while mTLS is off/ },
    { name: 'rotate-certificates with the issuer key in set', inputs: { 'rotate-certificates': 'expiring', set: `global.registry=${facts.registry}\ndapr_sentry.tls.issuer.keyPEM=${s.setValue}` }, names: ['rotate-certificates'], says: /while the chart values bring their own certificates \(set: dapr_sentry\.tls\.issuer\.keyPEM\)/, secrets: [s.setValue] },
    { name: 'rotate-certificates with certificates in a values file', inputs: { 'rotate-certificates': 'true', 'values-files': 'values/own-certs.yaml' }, names: ['rotate-certificates'], says: /own-certs\.yaml: dapr_sentry\.tls\.root\.certPEM/ },
    { name: 'restart-outdated-sidecars: on', inputs: { 'restart-outdated-sidecars': 'on' }, names: ['restart-outdated-sidecars'], says: /"on" is not a boolean/ },
    // set
    { name: 'set, a line with an empty key', inputs: { set: `global.registry=${facts.registry}\n=${s.setEmptyKey}` }, names: ['set'], says: /line 2 has an empty key/, secrets: [s.setEmptyKey] },
    { name: 'set, a line without =', inputs: { set: 'global.ha.enabled' }, names: ['set'], says: /line 1 \("global\.ha\.enabled"\) is not key=value/ },
    { name: 'set, an anti-affinity policy the chart refuses', inputs: { set: `global.registry=${facts.registry}\nglobal.ha.podAntiAffinityPolicy=sometimes` }, names: ['set'], says: /"sometimes" is not a policy Dapr's chart accepts/ },
    // values-files
    { name: 'values-files outside the workspace', inputs: { 'values-files': join(outside, 'values.yaml') }, names: ['values-files'], says: /is outside the workspace/ },
    { name: 'values-files, ../ to /etc/hostname', inputs: { 'values-files': OUT }, names: ['values-files'], says: /is outside the workspace/ },
    { name: 'values-files, a directory', inputs: { 'values-files': 'values/a-directory' }, names: ['values-files'], says: /is a directory/ },
    { name: 'values-files, broken YAML', inputs: { 'values-files': 'values/broken.yaml' }, names: ['values-files'], says: /broken\.yaml is not valid YAML/ },
    { name: 'values-files, a list with a secret on line 5', inputs: { 'values-files': 'values/list.yaml' }, names: ['values-files'], says: /is a list, not a values file/, secrets: [s.listValues] },
    { name: 'values-files, binary data', inputs: { 'values-files': 'values/binary.bin' }, names: ['values-files'], says: /is binary data, not a values file/ },
    // components
    { name: 'components that do not exist', inputs: { components: 'deploy/dapr/' }, names: ['components'], says: /deploy\/dapr\/ does not exist/ },
    { name: 'components outside the workspace', inputs: { components: join(outside, 'components') }, names: ['components'], says: /is outside the workspace/ },
    { name: 'components, a directory without YAML files', inputs: { components: 'components/no-yaml' }, names: ['components'], says: /directory components\/no-yaml has no \.yaml or \.yml files/ },
    { name: 'components, not YAML', inputs: { components: 'components/broken.yaml' }, names: ['components'], says: /broken\.yaml:\d+:\d+: components: is not valid YAML/, secrets: [s.brokenComponent] },
    { name: 'components, binary data', inputs: { components: 'components/binary.yaml' }, names: ['components'], says: /binary\.yaml(:\d+:\d+)?: components: (is not valid YAML|is binary data)/ },
    { name: 'components, a file with no resource in it', inputs: { components: 'components/empty.yaml' }, names: ['components'], says: /empty\.yaml holds no Dapr resource/ },
    { name: 'components, a Deployment', inputs: { components: 'components/wrong-kind.yaml' }, names: ['components (kind)'], says: /kind "Deployment" is not a Dapr resource this action applies/ },
    { name: 'components, a name with capitals and _', inputs: { components: 'components/bad-name.yaml' }, names: ['components (metadata.name)'], says: /name "Store_1" is not a valid resource name/ },
    { name: 'components, a type and version that are not Dapr\'s', inputs: { components: 'components/bad-type.yaml' }, names: ['components (spec.type)', 'components (spec.version)'], says: /spec\.type "postgresql" is not a Dapr component type/ },
    { name: 'components, a plaintext connection string', inputs: { components: 'components/plaintext' }, names: ['components (spec.metadata[0].value)'], says: /metadata "connectionString" holds a plaintext value that looks like a secret/, secrets: [s.component] },
    { name: 'components, another namespace than components-namespace', inputs: { components: 'components/other-namespace.yaml' }, names: ['components (metadata.namespace)'], says: /namespace "kube-system" differs from components-namespace "default"/ },
    // kubeconfig
    { name: 'kubeconfig that does not exist', inputs: { kubeconfig: 'kube/config' }, names: ['kubeconfig'], says: /kube\/config does not exist/ },
    { name: 'kubeconfig outside the workspace', inputs: { kubeconfig: facts.kubeconfig }, names: ['kubeconfig'], says: /is outside the workspace/ },
    { name: 'kubeconfig that is not YAML, with a token', inputs: { kubeconfig: 'kube/broken' }, names: ['kubeconfig'], says: /kube\/broken is not valid YAML/, secrets: [s.brokenKube] },
    { name: 'kubeconfig that is no kubeconfig', inputs: { kubeconfig: 'kube/not-kubeconfig' }, names: ['kubeconfig'], says: /is not a kubeconfig \(no clusters list in it\)/, secrets: [s.notKube] },
    { name: 'kubeconfig, binary data', inputs: { kubeconfig: 'kube/binary' }, names: ['kubeconfig'], says: /is binary data, not a kubeconfig/ },
    { name: 'no kubeconfig at all: no input, no KUBECONFIG, no ~/.kube/config', inputs: {}, env: { KUBECONFIG: undefined, HOME: emptyHome }, names: ['kubeconfig'], says: /no kubeconfig/i },
    { name: 'KUBECONFIG naming a file that does not exist', inputs: {}, env: { KUBECONFIG: join(outside, 'nope', 'config') }, names: ['KUBECONFIG'], says: /does not exist/ },
    { name: 'KUBECONFIG naming a file that is not YAML, with a token', inputs: {}, env: { KUBECONFIG: join(outside, 'kubeconfig-token') }, names: ['KUBECONFIG'], says: /is not valid YAML/, secrets: [s.envKube] },
    // tools
    { name: 'helm-version: 2.17.0', inputs: { 'helm-version': '2.17.0' }, names: ['helm-version'], says: /Helm 2\.17\.0 is not supported: Helm 2 needs Tiller/ },
    { name: 'helm-version: latest', inputs: { 'helm-version': 'latest' }, names: ['helm-version'], says: /"latest" is not an exact Helm version/ },
    { name: 'helm-sha256, not a SHA-256', inputs: { 'helm-version': '4.2.3', 'helm-sha256': 'xyz' }, names: ['helm-sha256'], says: /"xyz" is not a SHA-256/ },
    { name: 'helm-sha256 with helm-version: preinstalled', inputs: { 'helm-sha256': 'a'.repeat(64) }, names: ['helm-sha256'], says: /is set, but helm-version is preinstalled/ },
    { name: 'helm-base-url, ftp://', inputs: { 'helm-version': '4.2.3', 'helm-base-url': 'ftp://mirror.example.com/helm' }, names: ['helm-base-url'], says: /is not an https URL/ },
    { name: 'helm-base-url over plain http', inputs: { 'helm-version': '4.2.3', 'helm-base-url': 'http://mirror.example.com/helm' }, names: ['helm-base-url'], says: /uses plain http/ },
    { name: 'install-cli: yes', inputs: { 'install-cli': 'yes' }, names: ['install-cli'], says: /"yes" is not a boolean/ },
    { name: 'cli-version: latest', inputs: { 'install-cli': 'true', 'cli-version': 'latest' }, names: ['cli-version'], says: /"latest" is not an exact version/ },
    { name: 'cli-version not pinned, without a SHA-256', inputs: { 'install-cli': 'true', 'cli-version': '1.18.2' }, names: ['cli-version'], says: /1\.18\.2 is not pinned in this action/ },
    { name: 'cli-base-url over plain http', inputs: { 'install-cli': 'true', 'cli-base-url': 'http://mirror.example.com/cli' }, names: ['cli-base-url'], says: /uses plain http/ },
    { name: 'cli-sha256 without install-cli', inputs: { 'cli-sha256': 'b'.repeat(64) }, names: ['cli-sha256'], says: /is set, but install-cli is false/ },
    // many at once
    {
      name: 'five problems at once',
      inputs: { namespace: 'Dapr', timeout: 'soon', 'values-files': OUT, components: 'components/plaintext', set: `=${s.setEmptyKey}` },
      names: ['namespace', 'timeout', 'values-files', 'components (spec.metadata[0].value)', 'set'],
      says: /^5 problems:/,
      secrets: [s.component, s.setEmptyKey],
    },
  ];

  return {
    workspace: resolve(ws),
    outside,
    base,
    env,
    secrets: kubeconfigSecrets(facts.kubeconfig),
    cases,
    helmLog,
    repoFiles,
    resolve: (values, repoUrl) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.replaceAll(REPO_URL, repoUrl)])),
    close: () => {
      for (const d of [ws, outside, bin, emptyHome]) rmSync(d, { recursive: true, force: true });
    },
  };
}
