import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daprVersionFromGoMod } from '../../stack/src/components/dapr.js';
import { repoRoot } from '../../stack/src/config.js';
import { load } from 'js-yaml';
import { DAPR_CLI_BASE_URL } from '../../src/dapr/cli.js';
import { DEFAULT_HELM_BASE_URL } from '../../src/helm/tool.js';
import { DEFAULT_KUBECTL_BASE_URL } from '../../src/kube/kubectl-tool.js';
import { DAPR_CLI_RELEASES, DAPR_CLI_VERSION, DAPR_VERSION, HELM3_VERSION, HELM_RELEASES, HELM_VERSION, KUBECTL_RELEASES, RELEASE_PLATFORMS } from '../../src/versions.js';

describe('src/versions.ts', () => {
  it('DAPR_VERSION is the Dapr that stack/dapr/go.mod builds (the local stack runs what the actions install)', () => {
    const goMod = readFileSync(join(repoRoot, 'stack', 'dapr', 'go.mod'), 'utf8');
    expect(daprVersionFromGoMod(goMod)).toBe(DAPR_VERSION);
  });

  it('stack/dapr/go.prev.mod builds the previous Dapr minor (the upgrade test starts from it)', () => {
    const prev = daprVersionFromGoMod(readFileSync(join(repoRoot, 'stack', 'dapr', 'go.prev.mod'), 'utf8'));
    const [maj, min] = DAPR_VERSION.split('.').map(Number);
    expect(prev).toMatch(new RegExp(`^${maj}\\.${min! - 1}\\.\\d+$`));
  });

  it('DAPR_VERSION is a plain X.Y.Z release (chart and image tags have no leading v)', () => {
    expect(DAPR_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('daprVersionFromGoMod', () => {
  it.each([
    ['require github.com/dapr/dapr v1.18.2\n', '1.18.2'],
    ['require (\n\tgithub.com/dapr/components-contrib v1.18.3\n\tgithub.com/dapr/dapr v1.18.2\n)\n', '1.18.2'],
    ['require (\n\tgithub.com/dapr/dapr v1.19.0-rc.1 // indirect\n)\n', '1.19.0-rc.1'],
    ['require (\n\tgithub.com/dapr/dapr-extra v1.0.0\n\tgithub.com/dapr/dapr v1.17.5\n)\n', '1.17.5'],
  ])('%#', (goMod, expected) => expect(daprVersionFromGoMod(goMod)).toBe(expected));

  it.each([['module x\n'], ['// github.com/dapr/dapr v1.18.2 in a comment\n'], ['require github.com/dapr/dapr-extra v1.0.0\n']])(
    'refuses %j',
    (goMod) => expect(() => daprVersionFromGoMod(goMod)).toThrow(/no `github.com\/dapr\/dapr vX.Y.Z` require/),
  );
});

describe('pinned tool releases (src/versions.ts)', () => {
  const tables = { helm: HELM_RELEASES, kubectl: KUBECTL_RELEASES, 'dapr cli': DAPR_CLI_RELEASES };

  it.each(Object.entries(tables))('%s: exact versions, each once, SHA-256s in lower-case hex for known platforms only, none reused', (_tool, releases) => {
    const versions = releases.map((r) => r.version);
    expect(new Set(versions).size).toBe(versions.length);
    for (const r of releases) {
      expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
      for (const [platform, sha] of Object.entries(r.sha256)) {
        expect(RELEASE_PLATFORMS).toContain(platform);
        expect(sha).toMatch(/^[0-9a-f]{64}$/);
      }
    }
    const all = releases.flatMap((r) => Object.values(r.sha256));
    expect(new Set(all).size).toBe(all.length);
  });

  it('the defaults are pinned for the platforms GitHub-hosted runners and OKE nodes use', () => {
    const pinned = (releases: typeof HELM_RELEASES, version: string) => Object.keys(releases.find((r) => r.version === version)?.sha256 ?? {});
    expect(pinned(HELM_RELEASES, HELM_VERSION)).toEqual(expect.arrayContaining([...RELEASE_PLATFORMS]));
    expect(pinned(HELM_RELEASES, HELM3_VERSION)).toEqual(expect.arrayContaining(['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64', 'windows-amd64']));
    expect(pinned(DAPR_CLI_RELEASES, DAPR_CLI_VERSION)).toEqual(expect.arrayContaining(['linux-amd64', 'darwin-arm64', 'windows-amd64']));
    expect(HELM_VERSION).toMatch(/^4\./);
    expect(HELM3_VERSION).toMatch(/^3\./);
    // kubectl: one release per minor (the `cluster` choice picks by minor), newest first.
    const minors = KUBECTL_RELEASES.map((r) => Number(r.version.split('.')[1]));
    expect(minors).toEqual([...minors].sort((a, b) => b - a));
    expect(new Set(minors).size).toBe(minors.length);
  });

  it("the action.yml defaults are the pinned versions and the code's base URLs", () => {
    const inputsOf = (action: string) => (load(readFileSync(join(repoRoot, 'actions', action, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string; required?: boolean }> }).inputs;
    for (const action of ['helm-deploy', 'dapr-install']) {
      const inputs = inputsOf(action);
      expect([action, inputs['helm-version']?.default, inputs['helm-base-url']?.default, inputs['allow-insecure-download']?.default]).toEqual([action, HELM_VERSION, DEFAULT_HELM_BASE_URL, 'false']);
      expect(Object.keys(inputs)).toEqual(expect.arrayContaining(['helm-sha256', 'helm-checksum-url']));
    }
    const dapr = inputsOf('dapr-install');
    expect([dapr['cli-version']?.default, dapr['cli-base-url']?.default]).toEqual([DAPR_CLI_VERSION, DAPR_CLI_BASE_URL]);
    const oke = inputsOf('oke-login');
    expect([oke['kubectl-version']?.default, oke['kubectl-base-url']?.default, oke['allow-insecure-download']?.default, oke.region?.required]).toEqual(['cluster', DEFAULT_KUBECTL_BASE_URL, 'false', false]);
    const verify = inputsOf('verify-events');
    expect([verify['probe-topic'], verify['reply-topic']].map((i) => [i?.required, i?.default])).toEqual([[true, undefined], [true, undefined]]);
  });
});
