import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHelmDeployInputs } from '../../../src/actions/helm-deploy/inputs.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { configError } from '../../support/config-error.js';

const ws = mkdtempSync(join(tmpdir(), 'helm-inputs-'));
const runnerTemp = mkdtempSync(join(tmpdir(), 'helm-inputs-temp-'));
const outside = mkdtempSync(join(tmpdir(), 'helm-inputs-outside-'));
writeFileSync(join(outside, 'hostname'), 'runner-host\n');
writeFileSync(join(outside, 'values.yaml'), 'a: 1\n');
writeFileSync(join(runnerTemp, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
writeFileSync(join(ws, 'broken.yaml'), 'a: 1\nb: "unterminated\nc: 2\n');
writeFileSync(join(ws, 'list.yaml'), '- a\n- b\n');
writeFileSync(join(ws, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\nbin:x:2:2::/bin:/usr/sbin/nologin\nfourth-line-secret:x:3:3::/dev:/bin/sh\n');
writeFileSync(join(ws, 'huge.txt'), `${'x'.repeat(200)}\n`.repeat(5000) + 'last-line-marker\n');
writeFileSync(join(ws, 'binary.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
writeFileSync(join(ws, 'empty.yaml'), '# nothing to override\n');
writeFileSync(join(ws, 'two-docs.yaml'), 'a: 1\n---\nb: 2\n');
writeFileSync(join(ws, 'kube-token'), 'token: "abc\n');
writeFileSync(join(ws, 'config.txt'), 'anything\n');
symlinkSync(join(outside, 'hostname'), join(ws, 'link-out'));
mkdirSync(join(ws, 'chart'));
writeFileSync(join(ws, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
writeFileSync(join(ws, 'values.yaml'), 'a: 1\n');
mkdirSync(join(ws, 'notachart'));

function parse(values: Record<string, string>, secrets = new Secrets()) {
  return parseHelmDeployInputs(new Inputs(objectInputs({ release: 'todo', chart: 'chart', ...values })), secrets, { GITHUB_WORKSPACE: ws, RUNNER_TEMP: runnerTemp }, 'linux-amd64');
}

const problems = (values: Record<string, string>): string => configError(() => parse(values)).message;

describe('helm-deploy inputs', () => {
  it('parses a complete set of inputs into typed values', () => {
    const i = parse({ namespace: 'apps', 'values-files': 'values.yaml', set: 'image.tag=1.2.3', timeout: '90s', wait: 'true', 'rollback-on-failure': 'false', 'helm-version': 'v3.18.0', 'history-max': '3', 'create-namespace': 'true' });
    expect(i).toMatchObject({ release: 'todo', chart: { kind: 'local', path: join(ws, 'chart') }, namespace: 'apps', valuesFiles: [join(ws, 'values.yaml')], set: [{ key: 'image.tag', value: '1.2.3' }], timeoutMs: 90_000, wait: true, rollbackOnFailure: false, helm: { version: '3.18.0', baseUrl: 'https://get.helm.sh', expected: { pinned: '961e587fc2c03807f8a99ac25ef063fa9e6915f1894729399cbb95d2a79af931' }, allowInsecure: false }, historyMax: 3, createNamespace: true, recoverPending: false, dryRun: false });
  });

  it.each([
    [{ chart: 'oci://ghcr.io/acme/charts/todo', 'chart-version': '1.0.0' }, { kind: 'oci', ref: 'oci://ghcr.io/acme/charts/todo' }],
    [{ chart: 'dapr', repo: 'https://dapr.github.io/helm-charts/' }, { kind: 'repo', name: 'dapr', repo: 'https://dapr.github.io/helm-charts/' }],
  ])('chart source %#', (values, chart) => expect(parse(values).chart).toEqual(chart));

  it.each([
    [{ release: 'Todo_App' }, 'release: "Todo_App" is not a valid release name'],
    [{ chart: 'missing' }, `chart: missing does not exist (looked at ${join(ws, 'missing')})`],
    [{ chart: 'notachart' }, 'chart: notachart is not a chart (no Chart.yaml'],
    [{ chart: 'oci://ghcr.io' }, 'chart: "oci://ghcr.io" is not a valid OCI reference'],
    [{ chart: 'a/b', repo: 'https://x' }, 'chart: "a/b" is not a chart name'],
    [{ repo: 'ftp://x', chart: 'dapr' }, 'repo: "ftp://x" uses ftp://, which is not supported here'],
    [{ repo: 'charts.example.com', chart: 'dapr' }, 'repo: "charts.example.com" is not a URL'],
    [{ chart: 'ftp://example.com/charts/hello' }, 'chart: "ftp://example.com/charts/hello" uses ftp://, which helm-deploy does not support. Fix: use a local chart'],
    [{ chart: 'https://example.com/hello-0.1.0.tgz' }, 'chart: "https://example.com/hello-0.1.0.tgz" is a URL; helm-deploy takes an http(s) chart repository through repo. Fix: set repo to the repository URL and chart to the chart\'s name'],
    [{ chart: 'config.txt' }, 'chart: config.txt is not a packaged chart (.tgz)'],
    [{ chart: '../../../../../../../etc' }, 'chart: ../../../../../../../etc is outside the workspace'],
    [{ 'values-files': `../../../../../../..${join(outside, 'values.yaml')}` }, 'values-files: ../../../../../../..'],
    [{ 'set-file': `msg=${join(outside, 'hostname')}` }, `set-file: ${join(outside, 'hostname')} is outside the workspace`],
    [{ 'set-file': 'msg=link-out' }, `set-file: link-out is outside the workspace (${join(ws, 'link-out')} -> ${join(outside, 'hostname')}`],
    [{ kubeconfig: join(outside, 'hostname') }, `kubeconfig: ${join(outside, 'hostname')} is outside the workspace`],
    [{ kubeconfig: 'missing-kubeconfig' }, 'kubeconfig: missing-kubeconfig does not exist'],
    [{ 'allow-outside-workspace': 'perhaps' }, 'allow-outside-workspace: "perhaps" is not a boolean'],
    [{ set: '=value' }, 'set: line 1 has an empty key (nothing before the =). Fix: write the value\'s key before the ='],
    [{ 'set-string': 'a=1\n  = x=y' }, 'set-string: line 2 has an empty key'],
    [{ set: `=${'v'.repeat(300)}` }, 'set: line 1 has an empty key (nothing before the =)'],
    [{ 'values-files': 'broken.yaml' }, 'broken.yaml:3:1: values-files: broken.yaml is not valid YAML'],
    [{ 'values-files': 'list.yaml' }, 'list.yaml:1: values-files: list.yaml is a list, not a values file (a YAML mapping of key: value); it begins:\n  | - a\n  | - b'],
    [{ 'values-files': 'binary.bin' }, 'binary.bin: values-files: binary.bin is binary data, not a values file'],
    [{ 'values-files': 'two-docs.yaml' }, 'two-docs.yaml: values-files: two-docs.yaml holds more than one YAML document'],
    [{ kubeconfig: 'kube-token' }, 'kube-token:2:1: kubeconfig: kube-token is not valid YAML'],
    [{ kubeconfig: 'passwd' }, 'passwd:1: kubeconfig: passwd is a string, not a kubeconfig'],
    [{ 'chart-version': '1.0.0' }, 'chart-version: is set for a local chart'],
    [{ namespace: 'Apps' }, 'namespace: "Apps" is not a valid namespace name'],
    [{ 'values-files': 'nope.yaml' }, 'values-files: nope.yaml does not exist'],
    [{ set: 'image.tag' }, 'set: line 1 ("image.tag") is not key=value'],
    [{ timeout: '5' }, 'timeout: "5" is not a duration'],
    [{ wait: 'yes' }, 'wait: "yes" is not a boolean'],
    [{ wait: 'false' }, 'wait: is false while rollback-on-failure is true'],
    [{ 'helm-version': '^3' }, 'helm-version: "^3" is not an exact Helm version'],
    [{ 'history-max': '-1' }, 'history-max: -1 is out of range'],
    [{ 'helm-base-url': 'get.helm.sh' }, 'helm-base-url: "get.helm.sh" is not a URL'],
    [{ 'helm-base-url': 'http://mirror.internal/helm' }, 'helm-base-url: "http://mirror.internal/helm" uses plain http, which anyone on the path can change. Fix: use https://, or set allow-insecure-download: true'],
    [{ 'helm-version': '3.19.0' }, 'helm-version: Helm 3.19.0 is not pinned in this action (pinned: 4.2.3, 3.18.0), so its SHA-256 must come from you. Fix: set helm-sha256 to the SHA-256 of helm-v3.19.0-linux-amd64.tar.gz (published in https://get.helm.sh/helm-v3.19.0-linux-amd64.tar.gz.sha256sum'],
    [{ 'helm-sha256': 'abc' }, 'helm-sha256: "abc" is not a SHA-256 (64 hexadecimal characters)'],
    [{ 'helm-version': 'preinstalled', 'helm-sha256': 'a'.repeat(64) }, 'helm-sha256: is set, but helm-version is preinstalled: nothing is downloaded'],
    [{ 'allow-insecure-download': 'yes' }, 'allow-insecure-download: "yes" is not a boolean'],
  ])('refuses %j', (values, message) => expect(problems(values)).toContain(message));

  it('shows a values file that is really /etc/passwd or 1 MB only as a short excerpt', () => {
    const passwd = problems({ 'values-files': 'passwd' });
    expect(passwd).toContain('values-files: passwd is a string, not a values file (a YAML mapping of key: value); it begins:\n  | root:x:0:0:root:/root:/bin/bash\n');
    expect(passwd).toContain('… (1 more line,');
    expect(passwd).not.toContain('fourth-line-secret');
    const huge = problems({ 'values-files': 'huge.txt' });
    expect(huge.length).toBeLessThan(1000);
    expect(huge).not.toContain('last-line-marker');
    // A kubeconfig holds tokens: nothing of it is shown.
    expect(problems({ kubeconfig: 'passwd' })).not.toContain('root:x');
  });

  it('accepts files in RUNNER_TEMP, an empty values file, and anything with allow-outside-workspace: true', () => {
    expect(parse({ kubeconfig: join(runnerTemp, 'kubeconfig'), 'values-files': 'empty.yaml' })).toMatchObject({ kubeconfig: join(runnerTemp, 'kubeconfig'), valuesFiles: [join(ws, 'empty.yaml')] });
    const i = parse({ 'allow-outside-workspace': 'true', 'values-files': join(outside, 'values.yaml'), 'set-file': `msg=${join(outside, 'hostname')}` });
    expect(i.valuesFiles).toEqual([join(outside, 'values.yaml')]);
    expect(i.setFile).toEqual([{ key: 'msg', value: join(outside, 'hostname') }]);
  });

  it('masks the password of a repo URL at once', () => {
    const masked: string[] = [];
    parse({ chart: 'dapr', repo: 'https://user:pa55-repo@charts.example.com/' }, new Secrets((v) => masked.push(v)));
    expect(masked).toContain('pa55-repo');
  });

  it('reports every problem of the inputs together', () => {
    const message = problems({ release: 'Bad', namespace: 'Bad', set: '=1', 'values-files': join(outside, 'values.yaml'), chart: 'ftp://x/y', 'helm-version': '2.17.0', kubeconfig: 'nope' });
    expect(message).toMatch(/^7 problems:/);
    for (const input of ['release', 'namespace', 'set', 'values-files', 'chart', 'helm-version', 'kubeconfig']) expect(message).toMatch(new RegExp(`^- (\\S+: )?${input}: `, 'm'));
  });

  it('reports every problem at once', () => {
    expect(problems({ release: '', chart: '', timeout: 'x' })).toMatch(/^3 problems:\n- release: is required.*\n- chart: is required.*\n- timeout: "x" is not a duration/);
  });

  it('masks secret values (whole, per line and per string leaf) and never echoes them in a YAML error', () => {
    const masked: string[] = [];
    const secrets = new Secrets((v) => masked.push(v));
    parse({ 'secret-values': 'db:\n  password: "pa55word-xyz"\n  port: 5432\nkey: |\n  line-one-secret\n  line-two-secret\n' }, secrets);
    expect(masked).toEqual(expect.arrayContaining(['pa55word-xyz', 'line-one-secret', 'line-two-secret', 'line-one-secret\nline-two-secret\n']));
    expect(masked).not.toContain('5432');
    expect(masked).not.toContain('db:');
    const message = problems({ 'secret-values': 'db:\n  password: "unterminated-s3cret\n' });
    expect(message).toMatch(/^secret-values: is not valid YAML \(line \d+ of the input\)/);
    expect(message).not.toContain('unterminated-s3cret');
    expect(problems({ 'secret-values': '- a\n- b\n' })).toContain('secret-values: is not a YAML mapping');
  });
});
