import { checkChartVersion, runningVersion } from '../../../src/actions/dapr-install/install.js';
import type { DaprInstallInputs } from '../../../src/actions/dapr-install/inputs.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import type { Helm } from '../../../src/helm/helm.js';

/** A Helm whose `show chart` answers from a table, recording what it was asked; nothing else is called. */
function fakeHelm(answer: (chart: string, o: { version?: string; repo?: string }) => { version: string; appVersion?: string }): { helm: Helm; asked: string[] } {
  const asked: string[] = [];
  const helm = {
    showChart: async (chart: string, o: { version?: string; repo?: string } = {}) => {
      asked.push(`${chart} ${o.version ?? ''} ${o.repo ?? ''}`.trim());
      return answer(chart, o);
    },
  } as unknown as Helm;
  return { helm, asked };
}

const inputs = (chart: DaprInstallInputs['chart'], daprVersion = '1.18.2'): DaprInstallInputs => ({ chart, daprVersion } as DaprInstallInputs);
const repo = { kind: 'repo' as const, repo: 'https://charts.example.com/' };
const oci = { kind: 'oci' as const, ref: 'oci://registry.example.com/charts/dapr' };

describe('checkChartVersion: the chart a repository or registry serves, before any change', () => {
  it.each([repo, oci])('accepts the chart of the requested Dapr from %j, asking for that version', async (chart) => {
    const { helm, asked } = fakeHelm(() => ({ version: '1.18.2', appVersion: '1.18.2' }));
    await expect(checkChartVersion(inputs(chart), { helm })).resolves.toBeUndefined();
    expect(asked).toEqual([chart.kind === 'repo' ? 'dapr 1.18.2 https://charts.example.com/' : 'oci://registry.example.com/charts/dapr 1.18.2']);
  });

  it('refuses a chart that installs another Dapr (a mirror that renamed a version)', async () => {
    const { helm } = fakeHelm(() => ({ version: '9.9.9', appVersion: '1.18.2' }));
    const err = await checkChartVersion(inputs(repo, '9.9.9'), { helm }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe('dapr-version: 9.9.9 is not what the chart at chart-repo https://charts.example.com/ installs: Dapr 1.18.2 (chart version 9.9.9). Fix: set dapr-version: 1.18.2, or point chart at the chart of Dapr 9.9.9');
  });

  it.each([
    ['Error: chart "dapr" version "9.9.9" not found in https://charts.example.com/ repository'],
    ['Error: failed to perform "FetchReference" on source: registry.example.com/charts/dapr:9.9.9: not found'],
  ])('turns "%s" into a dapr-version the source does not have', async (stderr) => {
    const { helm } = fakeHelm(() => {
      throw new OperationError(`helm show chart dapr failed: ${stderr}`);
    });
    const err = await checkChartVersion(inputs(repo, '9.9.9'), { helm }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/^dapr-version: 9\.9\.9: chart-repo https:\/\/charts\.example\.com\/ has no Dapr chart of that version/);
  });

  it('leaves other failures (network) as they are', async () => {
    const failure = new OperationError('helm show chart dapr failed: dial tcp: connection refused');
    const { helm } = fakeHelm(() => {
      throw failure;
    });
    await expect(checkChartVersion(inputs(repo), { helm })).rejects.toBe(failure);
  });

  it('does not ask Helm about a local chart (read with the inputs)', async () => {
    const { helm, asked } = fakeHelm(() => ({ version: '0.0.0' }));
    await checkChartVersion(inputs({ kind: 'local', path: '/ws/dapr.tgz' }), { helm });
    expect(asked).toEqual([]);
  });
});

describe('runningVersion: what the control plane runs, never merely what was asked for', () => {
  const images = (tag: string): string[] => ['operator', 'sentry', 'injector', 'placement', 'scheduler'].map((n) => `localhost:5000/${n}:${tag}`);
  it.each<[string, string[], { appVersion?: string; chart?: string } | undefined, string, 'images' | 'release']>([
    ['images agree', images('1.18.2'), { appVersion: '9.9.9' }, '1.18.2', 'images'],
    ['variant tags', images('1.17.0-mariner'), undefined, '1.17.0', 'images'],
    ['images by digest: the release', images('x').map((i) => i.replace(':x', '@sha256:abc')), { appVersion: '1.18.2', chart: 'dapr-1.18.2' }, '1.18.2', 'release'],
    ['a mix: the release', [...images('1.18.2').slice(1), 'localhost:5000/operator:1.17.0'], { appVersion: '', chart: 'dapr-1.18.2' }, '1.18.2', 'release'],
    ['nothing known', ['localhost:5000/operator:edge'], undefined, '', 'release'],
  ])('%s', (_name, given, release, version, from) => expect(runningVersion(given, release)).toMatchObject({ version, from }));
});
