import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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
    // No fixed node port: values-local's 30080 is taken while `npm run local` has the app deployed.
    const docs = template([...args, '--set', 'service.nodePort='], namespace);
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

  it('rolls the pods when a Dapr resource changes (daprd reads them at start): every dapr-*.yaml feeds the pods\' digest', () => {
    const digest = (args: string[]): string[] => template([...required, ...args]).filter((d) => d.kind === 'Deployment').map((d) => d.spec.template.metadata.annotations['oke-dapr-actions.io/dapr-resources'] as string);
    const base = digest([]);
    expect(base).toHaveLength(2);
    expect(base[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(base[1]).toBe(base[0]);
    // A subscription (the worker's probe route), a component, a resiliency policy, the configuration: each rolls the pods.
    for (const change of [['subscriptions.probeRoute=false'], ['pubsub.brokers={other:9092}'], ['resiliency.inbound.maxRetries=3'], ['dapr.tracing.samplingRate=0.5']]) {
      expect({ change, digest: digest(change.flatMap((c) => ['--set', c]))[0] }).not.toEqual({ change, digest: base[0] });
    }
    // A value that changes no Dapr resource leaves the digest as it was.
    expect(digest(['--set', 'api.replicas=2'])).toEqual(base);
    // The helper names each dapr-*.yaml (Helm gives templates no .Files): a new one must be added to it.
    const named = [...readFileSync(join(chart, 'templates', '_helpers.tpl'), 'utf8').matchAll(/"(dapr-[\w-]+\.yaml)"/g)].map((m) => m[1]).sort();
    expect(named).toEqual(readdirSync(join(chart, 'templates')).filter((f) => /^dapr-.*\.yaml$/.test(f)).sort());
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

  it.each(variants)('with %s: deliveries retried long enough for a restart, publishes behind a circuit breaker, the app health check on the API only', (_label, args) => {
    const docs = template(args);
    const resiliency = docs.find((d) => d.kind === 'Resiliency')!;
    const target = resiliency.spec.targets.components.pubsub;
    const inbound = resiliency.spec.policies.retries[target.inbound.retry];
    expect(inbound).toMatchObject({ policy: 'exponential', maxInterval: '10s', maxRetries: 20 });
    // About 2.4 min: longer than a container restart with the kubelet's first crash-loop back-offs (10 + 20 + 40 s).
    expect(exponentialBudgetSeconds(inbound.maxRetries, 10)).toBeGreaterThan(120);
    // No breaker on deliveries: an open one ends Dapr's retries (a permanent error), dead-lettering every delivery.
    expect(target.inbound.circuitBreaker).toBeUndefined();
    expect(resiliency.spec.policies.circuitBreakers[target.outbound.circuitBreaker]).toEqual({ maxRequests: 1, timeout: '10s', trip: 'consecutiveFailures >= 5' });
    expect(resiliency.spec.policies.timeouts[target.outbound.timeout]).toBe('5s');
    expect(resiliency.spec.policies.retries[target.outbound.retry]).toEqual({ policy: 'constant', duration: '1s', maxRetries: 3 });
    const annotations = (role: string): Record<string, string> => docs.find((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] === role)!.spec.template.metadata.annotations;
    expect(annotations('api')).toMatchObject({ 'dapr.io/enable-app-health-check': 'true', 'dapr.io/app-health-check-path': '/healthz', 'dapr.io/app-health-probe-interval': '2', 'dapr.io/app-health-probe-timeout': '500', 'dapr.io/app-health-threshold': '3' });
    // Not on the subscriber: Dapr 1.18.2 can lose a paused subscription for good (values.yaml, appHealthCheck).
    expect(Object.keys(annotations('worker')).filter((k) => k.startsWith('dapr.io/app-health') || k === 'dapr.io/enable-app-health-check')).toEqual([]);
    expect(docs.filter((d) => d.kind === 'Subscription').map((d) => d.scopes)).toEqual(expect.arrayContaining([['todo-worker']]));
    expect(docs.filter((d) => d.kind === 'Subscription').every((d) => !(d.scopes as string[]).includes('todo-api'))).toBe(true);
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

  const deployment = (docs: Doc[], role: string): Doc => docs.find((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] === role)!;
  const envOf = (d: Doc): Record<string, string> => Object.fromEntries((d.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));

  it.each<[string, string[], { preStop: number; delay: number; grace: number; flush: number; termination: number; daprGrace: number }]>([
    ['values.yaml', [], { preStop: 5, delay: 2, grace: 10, flush: 5, termination: 45, daprGrace: 20 }],
    ['values-local.yaml', ['-f', join(chart, 'values-local.yaml')], { preStop: 3, delay: 2, grace: 5, flush: 3, termination: 25, daprGrace: 8 }],
  ])('with %s: rolling updates lose no request (surge first, preStop sleep, readiness on /readyz, the app drains before daprd stops)', (_label, args, want) => {
    const docs = template([...args, ...required]);
    const block = want.preStop + want.delay + want.grace + want.flush;
    for (const role of ['api', 'worker']) {
      const d = deployment(docs, role);
      expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      const pod = d.spec.template.spec;
      const app = pod.containers[0];
      expect(app.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      // Kubernetes' own sleep action: the distroless image has no shell and no sleep binary for an exec hook.
      expect(app.lifecycle).toEqual({ preStop: { sleep: { seconds: want.preStop } } });
      expect(envOf(d)).toMatchObject({ SHUTDOWN_DELAY_MS: String(want.delay * 1000), SHUTDOWN_GRACE_MS: String(want.grace * 1000), SHUTDOWN_FLUSH_MS: String(want.flush * 1000) });
      const a = d.spec.template.metadata.annotations as Record<string, string>;
      // daprd (SIGTERM at the pod's deletion, no preStop) serves the app through all four steps at most.
      expect(a['dapr.io/block-shutdown-duration']).toBe(`${block}s`);
      expect(a['dapr.io/graceful-shutdown-seconds']).toBe(String(want.daprGrace));
      // The API's block ends early when its health check fails; the worker's (no app health check: values.yaml,
      // appHealthCheck.roles) lasts the whole block, still inside the grace period.
      if (role === 'api') expect(a['dapr.io/enable-app-health-check']).toBe('true');
      expect(pod.terminationGracePeriodSeconds).toBe(want.termination);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(block + want.daprGrace);
    }
  });

  it.each<[string, string[], RegExp]>([
    ['a grace period shorter than the shutdown', ['--set', 'shutdown.terminationGracePeriodSeconds=42'], /shutdown\.terminationGracePeriodSeconds \(42\) must outlast the pod's longest shutdown, 42 s: shutdown\.preStopSleepSeconds \(5\) \+ shutdown\.delaySeconds \(2\) \+ shutdown\.graceSeconds \(10\) \+ shutdown\.flushSeconds \(5\) = 22 s, daprd's block-shutdown-duration .*dapr\.gracefulShutdownSeconds \(20\).* Set shutdown\.terminationGracePeriodSeconds to 43 or more, or lower the others/],
    ['a longer flush without a longer grace period', ['--set', 'shutdown.flushSeconds=30'], /shutdown\.terminationGracePeriodSeconds \(45\) must outlast the pod's longest shutdown, 67 s: .*shutdown\.flushSeconds \(30\) = 47 s.* Set shutdown\.terminationGracePeriodSeconds to 68 or more/],
    ['a longer daprd shutdown', ['--set', 'dapr.gracefulShutdownSeconds=30'], /must outlast the pod's longest shutdown, 52 s: .*dapr\.gracefulShutdownSeconds \(30\)/],
    ['seconds that are not whole', ['--set', 'shutdown.graceSeconds=2.5'], /shutdown\.graceSeconds is "2\.5": give a whole number of seconds from 0 to 120/],
    ['a negative delay', ['--set', 'shutdown.delaySeconds=-1'], /shutdown\.delaySeconds is "-1": give a whole number of seconds from 0 to 60/],
    ['a delay beyond what the app takes', ['--set', 'shutdown.delaySeconds=61'], /shutdown\.delaySeconds is 61: give a whole number of seconds from 0 to 60/],
  ])('refuses %s, naming the values and the fix', (_label, args, message) => {
    const r = run(helm.helm4, ['template', 'todo', chart, ...required, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(message);
  });

  it('renders without a preStop hook when its sleep is 0, and refuses the sleep on a Kubernetes older than 1.30', () => {
    const docs = template([...required, '--set', 'shutdown.preStopSleepSeconds=0']);
    expect(deployment(docs, 'api').spec.template.spec.containers[0].lifecycle).toBeUndefined();
    expect(deployment(docs, 'api').spec.template.metadata.annotations['dapr.io/block-shutdown-duration']).toBe('17s');
    const old = run(helm.helm4, ['template', 'todo', chart, ...required, '--kube-version', '1.29.4']);
    expect(old.code).not.toBe(0);
    expect(old.out).toMatch(/shutdown\.preStopSleepSeconds \(5\) needs Kubernetes 1\.30 or later .*the cluster runs v1\.29\.4: upgrade the cluster, or set shutdown\.preStopSleepSeconds=0/);
    expect(run(helm.helm4, ['template', 'todo', chart, ...required, '--kube-version', '1.29.4', '--set', 'shutdown.preStopSleepSeconds=0']).code).toBe(0);
  });

  it('gives a PodDisruptionBudget (maxUnavailable 1) to each role with more than one replica only', () => {
    const pdbs = (args: string[]) => template([...required, ...args]).filter((d) => d.kind === 'PodDisruptionBudget').map((d) => [d.metadata.labels?.['app.kubernetes.io/component'], d.spec.maxUnavailable, d.spec.selector.matchLabels['app.kubernetes.io/component']]);
    expect(pdbs([])).toEqual([]);
    expect(pdbs(['--set', 'api.replicas=2'])).toEqual([['api', 1, 'api']]);
    expect(pdbs(['--set', 'api.replicas=3', '--set', 'worker.replicas=2'])).toEqual([['api', 1, 'api'], ['worker', 1, 'worker']]);
    expect(pdbs(['--set', 'api.replicas=3', '--set', 'podDisruptionBudget.enabled=false'])).toEqual([]);
    expect(pdbs(['-f', join(chart, 'values-oke.yaml')])).toEqual([['api', 1, 'api']]);
  });

  it('puts podAnnotations on both roles\' pods (a changed value rolls them)', () => {
    const docs = template([...required, '--set-string', 'podAnnotations.example\\.com/restartedAt=2030-01-01T00:00:00Z']);
    for (const role of ['api', 'worker']) expect(deployment(docs, role).spec.template.metadata.annotations).toMatchObject({ 'example.com/restartedAt': '2030-01-01T00:00:00Z', 'dapr.io/enabled': 'true' });
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
