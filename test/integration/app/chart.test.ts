import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { PROBE_ROUTE_MATCH, ROUTES, TOPICS } from '../../../app/src/contract.js';
import { DAPR_VERSION } from '../../../src/versions.js';
import { stack } from '../../support/stack.js';

/**
 * chart/: helm lint with both Helm majors, helm template for each values file, and a server-side dry-run
 * apply of the output against the stack's real API server with the Dapr (and Prometheus Operator) CRDs
 * present; plus the chart's agreement with the app's contract (topics, routes, the probe rule).
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const chart = join(root, 'chart');
const helm = stack.helm();
const env = { ...process.env, KUBECONFIG: stack.kubeconfig() };
const crdDirs = [join(root, 'test', 'fixtures', 'charts', 'dapr', 'crds'), join(root, 'test', 'fixtures', 'monitoring-crds')];

/** A rendered object; `spec` as JSON.parse types it, so tests read its fields freely. */
type Doc = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: ReturnType<typeof JSON.parse>; auth?: unknown; scopes?: string[] };

function run(cmd: string, args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { env, input, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const required = ['--set', 'pubsub.brokers={seed-0.redpanda.example:9092}', '--set', 'pubsub.sasl.username=todo'];
const variants: Array<[string, string[]]> = [
  ['values.yaml, with ingress and monitoring on', [...required, '--set', 'ingress.enabled=true', '--set', 'ingress.host=todo.example.com', '--set', 'ingress.tls.enabled=true', '--set', 'ingress.tls.secretName=todo-tls', '--set', 'monitoring.serviceMonitor.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.grafanaDashboard.enabled=true', '--set', 'dapr.tracing.otlpEndpoint=otel-collector.monitoring:4317']],
  ['values-oke.yaml', ['-f', join(chart, 'values-oke.yaml'), ...required]],
  ['values-local.yaml', ['-f', join(chart, 'values-local.yaml'), ...required, '--set', 'image.repository=localhost:16460/apps/todo', '--set', `image.digest=sha256:${'b'.repeat(64)}`]],
  ['values-host.yaml', ['-f', join(chart, 'values-host.yaml'), ...required, '--set', 'secretStore.localFile=/tmp/secrets.json']],
];

function template(args: string[], namespace = 'default'): Doc[] {
  const r = run(helm.helm4, ['template', 'todo', chart, '-n', namespace, ...args]);
  if (r.code !== 0) throw new Error(`helm template failed:\n${r.out}`);
  return (loadAll(r.out) as Array<Doc | null>).filter((d): d is Doc => !!d);
}

describe('chart/ (helm lint, template, server-side dry run)', () => {
  const namespace = `todo-chart-${randomUUID().slice(0, 8)}`;

  beforeAll(() => {
    // Shared, cluster-scoped fixtures (the dapr-install tests use the same Dapr CRDs): apply, never delete.
    const applied = run(helm.kubectl, ['apply', '--server-side', '--force-conflicts', '--field-manager=todo-chart-it', ...crdDirs.flatMap((d) => ['-f', d])]);
    if (applied.code !== 0) throw new Error(`applying the CRD fixtures failed:\n${applied.out}`);
    const established = run(helm.kubectl, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/components.dapr.io', 'crd/subscriptions.dapr.io', 'crd/configurations.dapr.io', 'crd/resiliencies.dapr.io', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com']);
    if (established.code !== 0) throw new Error(`CRDs not established:\n${established.out}`);
    const ns = run(helm.kubectl, ['create', 'namespace', namespace]);
    if (ns.code !== 0) throw new Error(ns.out);
  });

  afterAll(() => {
    run(helm.kubectl, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it.each([
    ['Helm 3', helm.helm3],
    ['Helm 4', helm.helm4],
  ])('%s lints the chart clean (--strict), with its defaults and with each values file', (_label, bin) => {
    for (const args of [[], ...variants.map(([, a]) => a)]) {
      const r = run(bin, ['lint', '--strict', chart, ...args]);
      expect({ args, code: r.code, out: r.out }).toMatchObject({ code: 0 });
      expect(r.out).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('refuses to render without Kafka brokers, saying what to set', () => {
    const r = run(helm.helm4, ['template', 'todo', chart]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/pubsub.brokers is empty: list the Kafka seed brokers/);
  });

  it.each(variants)('renders with %s into objects the API server accepts (server-side dry run)', (_label, args) => {
    const docs = template(args, namespace);
    const r = run(helm.kubectl, ['apply', '--server-side', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
    expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
    expect(r.out.match(/serverside-applied \(server dry run\)/g)?.length).toBe(docs.length);
  });

  it('the dry run is a real check: an invalid value is refused', () => {
    const docs = template([...required, '--set-string', 'api.replicas=two'], namespace);
    const r = run(helm.kubectl, ['apply', '--server-side', '--dry-run=server', '-n', namespace, '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/replicas/);
  });

  it('agrees with the app\'s contract: topics, routes, the CEL probe rule, dead letters, scopes', () => {
    const docs = template([...required]);
    const subs = docs.filter((d) => d.kind === 'Subscription');
    expect(subs.map((s) => s.apiVersion)).toEqual(['dapr.io/v2alpha1', 'dapr.io/v2alpha1']);
    const byTopic = Object.fromEntries(subs.map((s) => [s.spec.topic, s]));
    expect(byTopic[TOPICS.taskEvents]).toMatchObject({ spec: { pubsubname: 'pubsub', routes: { rules: [{ match: PROBE_ROUTE_MATCH, path: ROUTES.probe }], default: ROUTES.taskEvents }, deadLetterTopic: TOPICS.taskEventsDeadLetter }, scopes: ['todo-worker'] });
    expect(byTopic[TOPICS.reminders]).toMatchObject({ spec: { routes: { default: ROUTES.reminders }, deadLetterTopic: TOPICS.remindersDeadLetter }, scopes: ['todo-worker'] });

    const declared = (load(readFileSync(join(root, 'deploy', 'topics.yaml'), 'utf8')) as { topics: Array<{ name: string }> }).topics.map((t) => t.name);
    expect(declared.sort()).toEqual(Object.values(TOPICS).sort());

    const noProbe = template([...required, '--set', 'subscriptions.probeRoute=false']).find((d) => d.kind === 'Subscription' && d.spec.topic === TOPICS.taskEvents);
    expect(noProbe?.spec.routes).toEqual({ default: ROUTES.taskEvents });
  });

  it('gives the API (only) a bindings.postgresql component on the state store\'s database, for its userId index', () => {
    const docs = template([...required]);
    const store = docs.find((d) => d.kind === 'Component' && d.spec.type === 'state.postgresql')!;
    const binding = docs.find((d) => d.kind === 'Component' && d.spec.type === 'bindings.postgresql')!;
    const conn = (c: Doc) => (c.spec.metadata as Array<{ name: string; secretKeyRef?: unknown }>).find((m) => m.name === 'connectionString')?.secretKeyRef;
    expect(conn(binding)).toEqual(conn(store));
    expect(binding.scopes).toEqual(['todo-api']);
    const api = docs.find((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] === 'api')!;
    const env = Object.fromEntries((api.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    const table = (store.spec.metadata as Array<{ name: string; value?: string }>).find((m) => m.name === 'tableName')?.value;
    expect(env).toMatchObject({ STATE_SQL_BINDING: binding.metadata.name, STATE_TABLE: table });

    const off = template([...required, '--set', 'stateStore.userIndex=false']);
    expect(off.some((d) => d.kind === 'Component' && d.spec.type === 'bindings.postgresql')).toBe(false);
    const offApi = off.find((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] === 'api')!;
    expect(JSON.stringify(offApi.spec.template.spec.containers[0].env)).not.toContain('STATE_SQL_BINDING');
  });

  /** Dapr's exponential back-off on average (0.5 s first, x1.5, capped): what `maxRetries` retries wait in all. */
  const exponentialBudgetSeconds = (maxRetries: number, maxIntervalSeconds: number): number => Array.from({ length: maxRetries }, (_, i) => Math.min(0.5 * 1.5 ** i, maxIntervalSeconds)).reduce((a, b) => a + b, 0);

  it.each(variants)('with %s: deliveries retried long enough for a restart, publishes behind a circuit breaker, the app health check on', (_label, args) => {
    const docs = template(args);
    const resiliency = docs.find((d) => d.kind === 'Resiliency')!;
    const target = resiliency.spec.targets.components.pubsub;
    const inbound = resiliency.spec.policies.retries[target.inbound.retry];
    expect(inbound).toMatchObject({ policy: 'exponential', maxInterval: '10s', maxRetries: 10 });
    // About 45 s (the old 3 x 1 s dead-lettered real events while the worker restarted).
    expect(exponentialBudgetSeconds(inbound.maxRetries, 10)).toBeGreaterThan(40);
    // No breaker on deliveries: an open one ends Dapr's retries (a permanent error), dead-lettering every delivery.
    expect(target.inbound.circuitBreaker).toBeUndefined();
    expect(resiliency.spec.policies.circuitBreakers[target.outbound.circuitBreaker]).toEqual({ maxRequests: 1, timeout: '10s', trip: 'consecutiveFailures >= 5' });
    expect(resiliency.spec.policies.timeouts[target.outbound.timeout]).toBe('5s');
    expect(resiliency.spec.policies.retries[target.outbound.retry]).toEqual({ policy: 'constant', duration: '1s', maxRetries: 3 });
    for (const role of ['api', 'worker']) {
      const d = docs.find((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] === role)!;
      const a = d.spec.template.metadata.annotations as Record<string, string>;
      expect(a).toMatchObject({ 'dapr.io/enable-app-health-check': 'true', 'dapr.io/app-health-check-path': '/healthz', 'dapr.io/app-health-probe-interval': '2', 'dapr.io/app-health-probe-timeout': '500', 'dapr.io/app-health-threshold': '3' });
      // The app health check notices an outage (interval x threshold) well inside the retry budget: a delivery in
      // flight when the app goes down is still being retried when daprd pauses the subscription.
      expect(Number(a['dapr.io/app-health-probe-interval']) * Number(a['dapr.io/app-health-threshold'])).toBeLessThan(exponentialBudgetSeconds(inbound.maxRetries, 10) / 2);
    }
  });

  it('renders the numbers it is given, and no health check when it is off', () => {
    const docs = template([...required, '--set', 'resiliency.inbound.maxRetries=4', '--set', 'resiliency.inbound.maxInterval=2s', '--set', 'resiliency.outbound.circuitBreaker.consecutiveFailures=7', '--set', 'appHealthCheck.enabled=false']);
    const spec = docs.find((d) => d.kind === 'Resiliency')!.spec;
    expect(spec.policies.retries.deliveryRetry).toMatchObject({ maxRetries: 4, maxInterval: '2s' });
    expect(spec.policies.circuitBreakers.publishBreaker.trip).toBe('consecutiveFailures >= 7');
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    expect(deployments).toHaveLength(2);
    expect(deployments.every((d) => !('dapr.io/enable-app-health-check' in d.spec.template.metadata.annotations))).toBe(true);
    expect(template([...required, '--set', 'resiliency.enabled=false']).some((d) => d.kind === 'Resiliency')).toBe(false);
  });

  it('names the Dapr version of src/versions.ts', () => {
    const meta = load(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { annotations: Record<string, string> };
    expect(meta.annotations['oke-dapr-actions.io/dapr-version']).toBe(DAPR_VERSION);
  });

  it('wires each Deployment to its sidecar: app id, the callback port as app-port, config, probes, limits; no secret in env', () => {
    const docs = template([...required]);
    const config = docs.find((d) => d.kind === 'Configuration')!;
    for (const role of ['api', 'worker']) {
      const d = docs.find((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] === role)!;
      const annotations = d.spec.template.metadata.annotations as Record<string, string>;
      const container = d.spec.template.spec.containers[0];
      const env = Object.fromEntries((container.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
      expect(annotations).toMatchObject({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': `todo-${role}`, 'dapr.io/app-port': env.APP_CALLBACK_PORT, 'dapr.io/config': config.metadata.name });
      expect(env).toMatchObject({ APP_ROLE: role, APP_ID: `todo-${role}` });
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.resources.limits).toHaveProperty('memory');
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(JSON.stringify(env)).not.toMatch(/password|postgres:\/\//i);
    }
  });

  it('OKE values: Kubernetes secret store (operator-resolved secretKeyRefs), TLS and SASL to Redpanda, an always-free load balancer', () => {
    const docs = template(['-f', join(chart, 'values-oke.yaml'), ...required]);
    const components = docs.filter((d) => d.kind === 'Component');
    expect(components.map((c) => c.spec.type).sort()).toEqual(['bindings.postgresql', 'pubsub.kafka', 'secretstores.kubernetes', 'state.postgresql']);
    expect(components.every((c) => c.auth === undefined)).toBe(true);
    const meta = Object.fromEntries((components.find((c) => c.spec.type === 'pubsub.kafka')!.spec.metadata as Array<{ name: string; value?: string; secretKeyRef?: unknown }>).map((m) => [m.name, m.value ?? m.secretKeyRef]));
    expect(meta).toMatchObject({ authType: 'password', saslMechanism: 'SHA-256', disableTls: 'false', saslPassword: { name: 'todo-secrets', key: 'kafka-password' }, consumerGroup: '{appID}' });
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name.endsWith('-api'))!;
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.metadata.annotations).toMatchObject({ 'service.beta.kubernetes.io/oci-load-balancer-shape': 'flexible' });
  });
});
