import { displayUrl, downloadUrl, parseDownload, parseSha256 } from '../../../src/core/download-inputs.js';
import { ProblemList } from '../../../src/core/errors.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { DAPR_CLI_DOWNLOAD } from '../../../src/dapr/cli.js';
import { HELM_DOWNLOAD, parseHelmInputs } from '../../../src/helm/tool.js';
import { HELM_RELEASES, HELM_VERSION } from '../../../src/versions.js';
import { configError } from '../../support/config-error.js';

const A = 'a'.repeat(64);

function helm(values: Record<string, string>, platform = 'linux-amd64', allowInsecure = false) {
  const problems = new ProblemList();
  const choice = parseHelmInputs(new Inputs(objectInputs(values)), problems, { platform, allowInsecure });
  return { choice, problems: problems.length ? configError(() => problems.throwIfAny()).problems.map((p) => `${p.input}: ${p.problem}. Fix: ${p.fix}`) : [] };
}

describe('parseDownload (through Helm): the pinned default, and what any other version needs', () => {
  it.each(['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64', 'windows-amd64', 'windows-arm64'])('the default Helm is pinned for %s: no other checksum input, no server checksum', (platform) => {
    const { choice, problems } = helm({}, platform);
    expect(problems).toEqual([]);
    expect(choice).toEqual({ version: HELM_VERSION, baseUrl: 'https://get.helm.sh', allowInsecure: false, expected: { pinned: HELM_RELEASES[0]!.sha256[platform as 'linux-amd64'] } });
  });

  it.each<[string, Record<string, string>, string, unknown]>([
    ['a pinned 3.x through its alias', { 'helm-version': '3' }, 'darwin-arm64', { version: '3.18.0', expected: { pinned: '4ce30bd86a3fc4f31d297827a5bf5b10ced8c4da2ff810bf9f53f561dbed7d10' } }],
    ['a version of your own with its SHA-256', { 'helm-version': '3.19.0', 'helm-sha256': A.toUpperCase() }, 'linux-amd64', { version: '3.19.0', expected: { given: { sha256: A, input: 'helm-sha256' } } }],
    ['a version of your own with a checksum file you name', { 'helm-version': '3.19.0', 'helm-checksum-url': 'https://mirror.example/sums/helm.sha256sum' }, 'linux-amd64', { expected: { checksumUrl: { url: 'https://mirror.example/sums/helm.sha256sum', input: 'helm-checksum-url' } } }],
    ['a pinned version with its own SHA-256 given again', { 'helm-version': '4.2.3', 'helm-sha256': 'e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c' }, 'linux-amd64', { expected: { pinned: 'e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c', given: { sha256: 'e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c', input: 'helm-sha256' } } }],
    ['a mirror', { 'helm-base-url': 'https://mirror.example/helm/' }, 'linux-amd64', { baseUrl: 'https://mirror.example/helm' }],
    ['preinstalled', { 'helm-version': 'preinstalled' }, 'linux-amd64', { version: 'preinstalled' }],
  ])('accepts %s', (_name, values, platform, expected) => {
    const { choice, problems } = helm(values, platform);
    expect(problems).toEqual([]);
    expect(choice).toMatchObject(expected as object);
  });

  it.each<[string, Record<string, string>, string, string[]]>([
    ['a version that is not pinned, without a checksum', { 'helm-version': '3.19.0' }, 'linux-arm64', [
      'helm-version: Helm 3.19.0 is not pinned in this action (pinned: 4.2.3, 3.18.0), so its SHA-256 must come from you. Fix: set helm-sha256 to the SHA-256 of helm-v3.19.0-linux-arm64.tar.gz (published in https://get.helm.sh/helm-v3.19.0-linux-arm64.tar.gz.sha256sum; check it against a source you trust), or helm-checksum-url to the URL of a checksum file you trust; or use 4.2.3 or 3.18.0, pinned for linux-arm64',
    ]],
    ['a pinned version on a platform with no confirmed checksum', { 'helm-version': '3.18.0' }, 'windows-arm64', [
      'helm-sha256: is required: Helm 3.18.0 has no SHA-256 pinned for windows-arm64 (none could be confirmed from a published source). Fix: set helm-sha256 to the SHA-256 of helm-v3.18.0-windows-arm64.zip (published in https://get.helm.sh/helm-v3.18.0-windows-arm64.zip.sha256sum; check it against a source you trust), or helm-checksum-url to the URL of a checksum file you trust; or use 4.2.3, pinned for windows-arm64',
    ]],
    ['a platform nothing is pinned for', {}, 'linux-s390x', [
      'helm-sha256: is required: Helm 4.2.3 has no SHA-256 pinned for linux-s390x (none could be confirmed from a published source). Fix: set helm-sha256 to the SHA-256 of helm-v4.2.3-linux-s390x.tar.gz (published in https://get.helm.sh/helm-v4.2.3-linux-s390x.tar.gz.sha256sum; check it against a source you trust), or helm-checksum-url to the URL of a checksum file you trust',
    ]],
    ['a SHA-256 that contradicts the pin', { 'helm-sha256': A }, 'linux-amd64', [
      `helm-sha256: is ${A}, but the SHA-256 pinned in this action for helm-v4.2.3-linux-amd64.tar.gz is e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c. Fix: remove helm-sha256 (a pinned version needs none), or check which file your value is for`,
    ]],
    ['plain http without allow-insecure-download, and a bad hash', { 'helm-base-url': 'http://mirror.example/helm', 'helm-checksum-url': 'http://mirror.example/helm/sums', 'helm-sha256': 'xyz' }, 'linux-amd64', [
      'helm-base-url: "http://mirror.example/helm" uses plain http, which anyone on the path can change. Fix: use https://, or set allow-insecure-download: true for a mirror that only speaks http (the SHA-256 check still applies, and the step warns)',
      'helm-sha256: "xyz" is not a SHA-256 (64 hexadecimal characters). Fix: copy the hash of the release file from its published checksum file',
      'helm-checksum-url: "http://mirror.example/helm/sums" uses plain http, which anyone on the path can change. Fix: use https://, or set allow-insecure-download: true for a mirror that only speaks http (the SHA-256 check still applies, and the step warns)',
    ]],
    ['checksum inputs with preinstalled', { 'helm-version': 'preinstalled', 'helm-checksum-url': 'https://x/sums' }, 'linux-amd64', [
      'helm-checksum-url: is set, but helm-version is preinstalled: nothing is downloaded. Fix: remove helm-checksum-url, or set helm-version to an exact version',
    ]],
  ])('refuses %s', (_name, values, platform, expected) => {
    const { choice, problems } = helm(values, platform);
    expect(problems).toEqual(expected);
    if (values['helm-version'] !== 'preinstalled') expect(choice).toBeUndefined();
  });

  it('takes plain http with allow-insecure-download: true (installVerifiedTool then warns)', () => {
    expect(helm({ 'helm-base-url': 'http://127.0.0.1:8080' }, 'linux-amd64', true).choice).toMatchObject({ baseUrl: 'http://127.0.0.1:8080', allowInsecure: true });
  });

  it('never echoes the credentials of a URL', () => {
    const { problems } = helm({ 'helm-base-url': 'http://user:p4ss-w0rd@mirror.example/helm' });
    expect(problems.join('\n')).not.toContain('p4ss-w0rd');
    expect(problems[0]).toContain('"http://***@mirror.example/helm"');
  });
});

describe('the Dapr CLI pins', () => {
  const cli = (version: string, platform: string) => {
    const problems = new ProblemList();
    const choice = parseDownload(new Inputs(objectInputs({})), problems, DAPR_CLI_DOWNLOAD, version, { platform, allowInsecure: false });
    return { choice, problems: problems.length };
  };
  it.each(['linux-amd64', 'darwin-amd64', 'darwin-arm64', 'windows-amd64'])('1.18.0 is pinned for %s', (platform) => expect(cli('1.18.0', platform)).toMatchObject({ choice: { version: '1.18.0', baseUrl: 'https://github.com/dapr/cli/releases/download' }, problems: 0 }));
  it('1.18.0 for linux-arm64 (no confirmed checksum) needs cli-sha256', () => expect(cli('1.18.0', 'linux-arm64')).toEqual({ choice: undefined, problems: 1 }));
  it('names the published checksum file in its fix', () => expect(DAPR_CLI_DOWNLOAD.published('1.18.0', 'linux-arm64')).toEqual({ file: 'dapr_linux_arm64.tar.gz', checksumUrl: 'https://github.com/dapr/cli/releases/download/v1.18.0/dapr_linux_arm64.tar.gz.sha256' }));
});

describe('small parsers', () => {
  it.each([
    [A, A],
    [`sha256:${A.toUpperCase()}`, A],
    [`${A}0`, undefined],
    ['', undefined],
  ])('parseSha256(%j)', (value, expected) => expect(parseSha256(new ProblemList(), 'x', value)).toBe(expected));

  it.each([
    ['https://get.helm.sh/', false, 'https://get.helm.sh'],
    ['http://127.0.0.1:1/x', true, 'http://127.0.0.1:1/x'],
    ['http://127.0.0.1:1/x', false, undefined],
    ['ftp://mirror/x', true, undefined],
    ['get.helm.sh', true, undefined],
  ])('downloadUrl(%j, allowInsecure %s)', (value, allow, expected) => expect(downloadUrl(new ProblemList(), 'x', value, allow)).toBe(expected));

  it('displayUrl hides credentials only', () => {
    expect(displayUrl('https://u:p@h/x')).toBe('https://***@h/x');
    expect(displayUrl('https://h/x')).toBe('https://h/x');
  });

  it('the Helm spec names the published checksum file', () => expect(HELM_DOWNLOAD.published('4.2.3', 'windows-amd64')).toEqual({ file: 'helm-v4.2.3-windows-amd64.zip', checksumUrl: 'https://get.helm.sh/helm-v4.2.3-windows-amd64.zip.sha256sum' }));
});
