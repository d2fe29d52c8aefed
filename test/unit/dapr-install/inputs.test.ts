import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaprInstallInputs } from '../../../src/actions/dapr-install/inputs.js';
import { DAPR_HELM_REPO } from '../../../src/dapr/control-plane.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';

const workspace = mkdtempSync(join(tmpdir(), 'dapr-inputs-'));
writeFileSync(join(workspace, 'dapr-1.18.2.tgz'), '');
const parse = (values: Record<string, string>, platform = 'linux-amd64') => parseDaprInstallInputs(new Inputs(objectInputs(values)), { GITHUB_WORKSPACE: workspace }, platform);

describe('dapr-install inputs: chart override and chart-repo', () => {
  it.each([
    ['a chart override alone', { chart: 'dapr-1.18.2.tgz' }],
    // What a runner passes when the step sets only `chart`: every unset input holds its action.yml default.
    ['a chart override with chart-repo at its action.yml default', { chart: 'dapr-1.18.2.tgz', 'chart-repo': DAPR_HELM_REPO }],
  ])('%s is a local chart', (_name, values) => {
    expect(parse(values).chart).toEqual({ kind: 'local', path: join(workspace, 'dapr-1.18.2.tgz') });
  });

  it('refuses a chart override together with another chart-repo', () => {
    expect(() => parse({ chart: 'dapr-1.18.2.tgz', 'chart-repo': 'https://charts.example.com/' })).toThrow(/chart-repo.*is set together with a chart override/s);
  });
});

describe('dapr-install inputs: combinations Dapr refuses, caught before any change', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['HA with the in-memory scheduler', { ha: 'true', 'scheduler-storage': 'in-memory' }, /ha: true together with scheduler-storage: in-memory.*Fix: use scheduler-storage: persistent with ha: true/s],
    ['HA through set with the in-memory scheduler', { set: 'global.ha.enabled=true', 'scheduler-storage': 'in-memory' }, /ha: true together with scheduler-storage: in-memory/],
    ['an anti-affinity policy the chart fails on', { set: 'global.ha.podAntiAffinityPolicy=sometimes' }, /set: global\.ha\.podAntiAffinityPolicy="sometimes" is not a policy Dapr's chart accepts/],
    ['a root sidecar with a non-zero user', { set: 'dapr_sidecar_injector.sidecarRunAsNonRoot=false\ndapr_sidecar_injector.sidecarRunAsUser=1000' }, /sidecarRunAsUser=1000 with sidecarRunAsNonRoot=false/],
    ['a non-root sidecar as user 0', { set: 'dapr_sidecar_injector.sidecarRunAsUser=0' }, /sidecarRunAsUser=0 while the sidecar runs as non-root/],
    ['a user id that is not a number', { set: 'dapr_sidecar_injector.sidecarRunAsUser=nobody' }, /sidecarRunAsUser="nobody" is not a user id/],
  ])('refuses %s', (_name, values, message) => {
    expect(() => parse(values)).toThrow(message);
  });

  it('reports every problem of the inputs together', () => {
    expect(() => parse({ ha: 'true', 'scheduler-storage': 'in-memory', namespace: 'Bad_NS', set: 'global.ha.podAntiAffinityPolicy=x' })).toThrow(/namespace[\s\S]*ha: true[\s\S]*podAntiAffinityPolicy/);
  });

  it('accepts what the chart accepts', () => {
    expect(parse({ ha: 'true', set: 'global.ha.podAntiAffinityPolicy=requiredDuringSchedulingIgnoredDuringExecution\ndapr_sidecar_injector.sidecarRunAsUser=1000' })).toMatchObject({ ha: true, schedulerStorage: 'persistent' });
    expect(parse({ 'scheduler-storage': 'in-memory', set: 'dapr_sidecar_injector.sidecarRunAsNonRoot=false\ndapr_sidecar_injector.sidecarRunAsUser=0' })).toMatchObject({ ha: false, schedulerStorage: 'in-memory' });
  });
});

describe('dapr-install inputs: certificate rotation and sidecars', () => {
  const values = join(workspace, 'own-certs.yaml');
  writeFileSync(values, 'dapr_sentry:\n  tls:\n    root:\n      certPEM: |\n        -----BEGIN CERTIFICATE-----\n        MIIB\n        -----END CERTIFICATE-----\n');
  const plainValues = join(workspace, 'plain.yaml');
  writeFileSync(plainValues, 'global:\n  logAsJson: true\n');

  it.each<[Record<string, string>, { rotateCertificates: string; certValidityDays: number; restartOutdatedSidecars: boolean }]>([
    [{}, { rotateCertificates: 'never', certValidityDays: 365, restartOutdatedSidecars: false }],
    [{ 'rotate-certificates': 'true', 'cert-validity-days': '90' }, { rotateCertificates: 'always', certValidityDays: 90, restartOutdatedSidecars: false }],
    [{ 'rotate-certificates': 'Expiring', 'restart-outdated-sidecars': 'true', 'values-files': plainValues }, { rotateCertificates: 'expiring', certValidityDays: 365, restartOutdatedSidecars: true }],
  ])('%j', (given, expected) => expect(parse(given)).toMatchObject(expected));

  it.each<[string, Record<string, string>, RegExp]>([
    ['an unknown mode', { 'rotate-certificates': 'soon' }, /rotate-certificates.*"soon" is not one of the allowed values.*false, true, expiring/s],
    ['a validity of 0 days', { 'cert-validity-days': '0' }, /cert-validity-days.*0 is out of range/s],
    ['rotation with certificates from a values file', { 'rotate-certificates': 'true', 'values-files': values }, /rotate-certificates.*the chart values bring their own certificates \(.*own-certs\.yaml: dapr_sentry\.tls\.root\.certPEM\).*Fix: renew the certificates where they come from/s],
    ['rotation with certificates from set', { 'rotate-certificates': 'expiring', set: 'dapr_sentry.tls.issuer.keyPEM=abc' }, /set: dapr_sentry\.tls\.issuer\.keyPEM/],
    ['rotation with mTLS off', { 'rotate-certificates': 'true', set: 'global.mtls.enabled=false' }, /rotate-certificates.*while mTLS is off/s],
    ['a restart flag that is not a boolean', { 'restart-outdated-sidecars': 'yes' }, /restart-outdated-sidecars.*"yes" is not a boolean/s],
  ])('refuses %s', (_name, given, message) => expect(() => parse(given)).toThrow(message));

  it('certificates in the values are fine when nothing rotates them', () => {
    expect(parse({ 'values-files': values }).rotateCertificates).toBe('never');
  });
});

describe('dapr-install inputs: Helm and the Dapr CLI downloads', () => {
  it('defaults to the pinned Helm from get.helm.sh (like helm-deploy), and no CLI', () => {
    const i = parse({});
    expect(i.helm).toEqual({ version: '4.2.3', baseUrl: 'https://get.helm.sh', allowInsecure: false, expected: { pinned: 'e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c' } });
    expect(i.cli).toBeUndefined();
  });

  it('installs the pinned CLI, checked against its pinned SHA-256', () => {
    expect(parse({ 'install-cli': 'true' }).cli).toEqual({ version: '1.18.0', baseUrl: 'https://github.com/dapr/cli/releases/download', allowInsecure: false, expected: { pinned: '2a94739e0aa101289d88418225319562bc6800db273b3d9cf819a0efd1ea1bfe' } });
  });

  it('takes another CLI version with cli-sha256, from an http mirror only with allow-insecure-download', () => {
    const sha = 'c'.repeat(64);
    expect(parse({ 'install-cli': 'true', 'cli-version': 'v1.18.2', 'cli-sha256': sha, 'cli-base-url': 'http://127.0.0.1:9/cli', 'allow-insecure-download': 'true' }).cli).toEqual({ version: '1.18.2', baseUrl: 'http://127.0.0.1:9/cli', allowInsecure: true, expected: { given: { sha256: sha, input: 'cli-sha256' } } });
  });

  it.each<[Record<string, string>, string, RegExp]>([
    [{ 'install-cli': 'true', 'cli-version': '1.18.2' }, 'linux-amd64', /cli-version: the Dapr CLI 1.18.2 is not pinned in this action \(pinned: 1.18.0\), so its SHA-256 must come from you. Fix: set cli-sha256 to the SHA-256 of dapr_linux_amd64.tar.gz \(published in https:\/\/github.com\/dapr\/cli\/releases\/download\/v1.18.2\/dapr_linux_amd64.tar.gz.sha256/],
    [{ 'install-cli': 'true' }, 'linux-arm64', /cli-sha256: is required: the Dapr CLI 1.18.0 has no SHA-256 pinned for linux-arm64/],
    [{ 'install-cli': 'true', 'cli-base-url': 'http://mirror/cli' }, 'linux-amd64', /cli-base-url: "http:\/\/mirror\/cli" uses plain http/],
    [{ 'helm-base-url': 'http://mirror/helm' }, 'linux-amd64', /helm-base-url: "http:\/\/mirror\/helm" uses plain http/],
    [{ 'helm-version': '4.1.4' }, 'linux-amd64', /helm-version: Helm 4.1.4 is not pinned in this action/],
    [{ 'install-cli': 'true', 'cli-version': 'latest' }, 'linux-amd64', /cli-version: "latest" is not an exact version/],
  ])('refuses %j on %s', (values, platform, message) => expect(() => parse(values, platform)).toThrow(message));
});
