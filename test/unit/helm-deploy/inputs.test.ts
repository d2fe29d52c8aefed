import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHelmDeployInputs } from '../../../src/actions/helm-deploy/inputs.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { configError } from '../../support/config-error.js';

const ws = mkdtempSync(join(tmpdir(), 'helm-inputs-'));
mkdirSync(join(ws, 'chart'));
writeFileSync(join(ws, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
writeFileSync(join(ws, 'values.yaml'), 'a: 1\n');
mkdirSync(join(ws, 'notachart'));

function parse(values: Record<string, string>, secrets = new Secrets()) {
  return parseHelmDeployInputs(new Inputs(objectInputs({ release: 'todo', chart: 'chart', ...values })), secrets, { GITHUB_WORKSPACE: ws }, 'linux-amd64');
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
    [{ repo: 'ftp://x', chart: 'dapr' }, 'repo: "ftp://x" is not an http(s) URL'],
    [{ 'chart-version': '1.0.0' }, 'chart-version: is set for a local chart'],
    [{ namespace: 'Apps' }, 'namespace: "Apps" is not a valid namespace name'],
    [{ 'values-files': 'nope.yaml' }, 'values-files: file nope.yaml does not exist'],
    [{ set: 'image.tag' }, 'set: line "image.tag" is not key=value'],
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
