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
