import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../stack/src/config.js';
import type { StackStatus } from '../../stack/src/stack.js';
import type { ComponentStatus } from '../../stack/src/types.js';

/**
 * The one place tests and benchmarks learn where the stack's servers are. It reads the status the
 * integration global setup (or `npm run stack -- up`) wrote; no test hard-codes a port.
 */
let cached: StackStatus | undefined;

export function stackStatus(): StackStatus {
  if (cached) return cached;
  const file = join(stateDir(), 'status.json');
  try {
    cached = JSON.parse(readFileSync(file, 'utf8')) as StackStatus;
  } catch {
    throw new Error(`No stack status at ${file}. Start the stack with: npm run stack -- up`);
  }
  return cached;
}

export function component(name: string): ComponentStatus {
  const c = stackStatus().components[name];
  if (!c?.healthy) throw new Error(`stack component "${name}" is not healthy (${c?.problem ?? 'not in status'}). Run: npm run stack -- up`);
  return c;
}

function endpoint(name: string, key: string): string {
  const v = component(name).endpoints[key];
  if (!v) throw new Error(`stack component "${name}" reports no "${key}" endpoint`);
  return v;
}

export const stack = {
  kafka: () => {
    const c = component('kafka');
    return {
      plaintext: endpoint('kafka', 'plaintext'),
      sasl: endpoint('kafka', 'sasl'),
      username: String(c.details?.username),
      password: String(c.details?.password),
      mechanism: String(c.details?.saslMechanism ?? 'SCRAM-SHA-256'),
    };
  },
  /** What a @platformatic/kafka client needs to reach the stack's SCRAM listener. */
  kafkaClient: () => {
    const k = stack.kafka();
    return { bootstrapBrokers: [k.sasl], sasl: { mechanism: 'SCRAM-SHA-256' as const, username: k.username, password: k.password } };
  },
  kubeconfig: () => endpoint('kube', 'kubeconfig'),
  helm: () => ({ helm3: endpoint('helm', 'helm3'), helm4: endpoint('helm', 'helm4'), kubectl: endpoint('helm', 'kubectl') }),
  postgres: () => {
    const c = component('postgres');
    return { url: endpoint('postgres', 'url'), host: endpoint('postgres', 'host'), username: String(c.details?.username), password: String(c.details?.password) };
  },
  /** The Dapr scheduler (host:port for daprd's --scheduler-host-address) and the slim daprd binary. */
  dapr: () => {
    const c = component('dapr');
    return { scheduler: endpoint('dapr', 'scheduler'), daprd: String(c.details?.daprd), version: String(c.details?.version) };
  },
  /** The real node: its name and the images the stack built and pushed (`localhost:<port>/<repo>:<tag>@sha256:...`). */
  node: () => {
    const c = component('node');
    const images = c.details?.images as Record<'testapp' | 'pause' | 'coredns', string> | undefined;
    if (!images?.testapp) throw new Error('stack component "node" reports no images. Run: npm run stack -- up');
    return { name: String(c.details?.nodeName), nodeIp: String(c.details?.nodeIp), images };
  },
  /** Dapr's own chart (packaged as Dapr publishes it) and the registry holding its images, at the stack's version. */
  daprChart: () => {
    const c = component('dapr-chart');
    const prev = c.details?.previous as { version: string; chart: string; images: Record<string, string> } | undefined;
    if (!prev) throw new Error('the stack\'s dapr-chart status names no previous Dapr minor: restart the stack (npm run stack -- up)');
    return { chart: endpoint('dapr-chart', 'chart'), registry: endpoint('dapr-chart', 'registry'), version: String(c.details?.version), images: c.details?.images as Record<string, string>, previous: prev };
  },
  /** The stack's OCI registry: how image references name it, its URL on this machine, and crane. */
  registry: () => ({ name: endpoint('registry', 'registry'), url: endpoint('registry', 'url'), crane: String(component('registry').details?.crane) }),
  /** The workflow tools built from the Go module proxy: act (host mode) and actionlint. */
  act: () => ({ act: endpoint('act', 'act'), actionlint: endpoint('act', 'actionlint') }),
  /** The stack's Prometheus (in the node's network namespace, on the node's address) and its promtool. */
  prometheus: () => ({ url: endpoint('prometheus', 'url'), promtool: endpoint('prometheus', 'promtool') }),
};
