import type { KubernetesObject } from '@kubernetes/client-node';
import { OperationError } from '../core/errors.js';
import { loadYamlDocuments } from '../core/yaml.js';

/**
 * The CustomResourceDefinitions of a chart's crds/ folder (the text `helm show crds` prints). Helm installs
 * them on a first install only and never upgrades them, so dapr-install applies them itself on every run.
 */
export function chartCrds(text: string, chart: string): KubernetesObject[] {
  const docs = loadYamlDocuments(text, `${chart} (crds/)`, 'chart');
  const crds = docs.map((d) => d.value as KubernetesObject).filter((o) => o.kind === 'CustomResourceDefinition');
  for (const c of crds) {
    if (!c.metadata?.name || c.apiVersion !== 'apiextensions.k8s.io/v1') {
      throw new OperationError(`the chart ${chart} holds a CRD without a name or not apiextensions.k8s.io/v1 (${c.apiVersion ?? '?'} ${c.metadata?.name ?? '?'})`, { hint: 'use Dapr\'s own chart for the version you install' });
    }
  }
  if (crds.length === 0) throw new OperationError(`the chart ${chart} has no CRDs in its crds/ folder`, { hint: 'use Dapr\'s own chart: it carries components.dapr.io, configurations.dapr.io and the other Dapr CRDs' });
  return crds;
}

interface ConversionCrd {
  spec?: { conversion?: { strategy?: string; webhook?: { clientConfig?: { service?: { namespace?: string }; caBundle?: string } } } };
}

/**
 * Dapr's operator points a CRD's conversion webhook at itself after it starts (the chart ships `namespace:
 * replaceme` and no CA bundle for subscriptions.dapr.io). Applying the chart's CRD as it is would undo that
 * and break conversion until the operator restarts; so where the live CRD already has a webhook configured,
 * its clientConfig is kept.
 */
export function keepLiveConversion<T extends KubernetesObject>(desired: T, live: KubernetesObject | undefined): T {
  const want = (desired as ConversionCrd).spec?.conversion;
  const have = (live as ConversionCrd | undefined)?.spec?.conversion;
  const liveClient = have?.webhook?.clientConfig;
  if (want?.strategy !== 'Webhook' || have?.strategy !== 'Webhook' || !liveClient?.service?.namespace || liveClient.service.namespace === 'replaceme') return desired;
  const copy = structuredClone(desired) as T & ConversionCrd;
  copy.spec!.conversion!.webhook = { ...copy.spec!.conversion!.webhook, clientConfig: structuredClone(liveClient) };
  return copy;
}
