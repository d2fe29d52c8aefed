import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chartCrds, keepLiveConversion } from '../../../src/dapr/crds.js';
import { upgradeArgs } from '../../../src/helm/args.js';
import { packageChart, releaseChartFile } from '../../../stack/src/components/dapr-chart.js';
import { readTarGz } from '../../../stack/src/archive.js';

const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'dapr');
const crdText = readdirSync(join(fixture, 'crds')).map((f) => readFileSync(join(fixture, 'crds', f), 'utf8')).join('\n---\n');

describe('chartCrds', () => {
  it('reads every CRD of a chart\'s crds/ folder, httpendpoints included (a hand list left it out)', () => {
    expect(chartCrds(crdText, 'dapr').map((c) => c.metadata?.name).sort()).toEqual([
      'components.dapr.io', 'configurations.dapr.io', 'httpendpoints.dapr.io', 'resiliencies.dapr.io', 'subscriptions.dapr.io',
    ]);
  });

  it('refuses a chart without CRDs, and a CRD without a name, naming the chart', () => {
    expect(() => chartCrds('', 'my-chart')).toThrow('the chart my-chart has no CRDs in its crds/ folder');
    expect(() => chartCrds('apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n', 'my-chart')).toThrow('holds a CRD without a name');
  });
});

describe('helm upgrade args for dapr-install', () => {
  it('leaves CRDs to dapr-install (--skip-crds)', () => {
    const args = upgradeArgs({ release: 'dapr', chart: 'dapr', namespace: 'dapr-system', createNamespace: true, valuesFiles: [], set: [], setString: [], setFile: [], timeoutMs: 60_000, wait: false, rollbackOnFailure: false, dryRun: false, skipCrds: true }, 4);
    expect(args).toContain('--skip-crds');
  });
});

describe('Dapr chart packaging (stack)', () => {
  it('sets the version where Dapr\'s release does (quoted edge and 0.0.0), nothing else', () => {
    expect(releaseChartFile("version: '0.0.0'\ntag: 'edge'\nedge: 0.0.0\n", '1.18.2')).toBe("version: '1.18.2'\ntag: '1.18.2'\nedge: 0.0.0\n");
  });

  it('packs a chart directory under dapr/ with the version applied', () => {
    const tgz = packageChart(fixture, '9.9.9');
    const files = readTarGz(tgz, ['dapr/Chart.yaml', 'dapr/crds/components.yaml']);
    expect(files.get('dapr/Chart.yaml')?.toString()).toContain('name: dapr');
    expect(files.get('dapr/crds/components.yaml')).toBeDefined();
    expect(gunzipSync(tgz).length % 512).toBe(0);
    expect(packageChart(fixture, '9.9.9').equals(tgz)).toBe(true);
  });
});

describe('keepLiveConversion', () => {
  const chartCrd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'subscriptions.dapr.io' }, spec: { conversion: { strategy: 'Webhook', webhook: { clientConfig: { service: { namespace: 'replaceme', name: 'dapr-webhook', path: '/convert', port: 443 } }, conversionReviewVersions: ['v1'] } } } };
  const patched = { ...chartCrd, spec: { conversion: { strategy: 'Webhook', webhook: { clientConfig: { service: { namespace: 'dapr-system', name: 'dapr-webhook', path: '/convert', port: 443 }, caBundle: 'Q0E=' }, conversionReviewVersions: ['v1'] } } } };

  it("keeps the webhook Dapr's operator patched in (namespace and CA bundle)", () => {
    const out = keepLiveConversion(chartCrd, patched);
    expect(out.spec.conversion.webhook.clientConfig).toEqual({ service: { namespace: 'dapr-system', name: 'dapr-webhook', path: '/convert', port: 443 }, caBundle: 'Q0E=' });
    expect(out.spec.conversion.webhook.conversionReviewVersions).toEqual(['v1']);
    expect(chartCrd.spec.conversion.webhook.clientConfig.service.namespace).toBe('replaceme');
  });

  it('applies the chart as it is on a first install, or when the operator has not patched it yet', () => {
    expect(keepLiveConversion(chartCrd, undefined)).toBe(chartCrd);
    expect(keepLiveConversion(chartCrd, chartCrd)).toBe(chartCrd);
  });
});
