import { alertsOf, isDuration, prometheusBaseConfig, prometheusRuleFile, regexQuote, sdLabelName, serviceMonitorScrapeConfigs, type PrometheusRule, type ServiceMonitor } from '../../../stack/src/prometheus-config.js';

const sd = { apiServer: 'https://10.203.0.1:16443', caFile: '/pki/ca.crt', tokenFile: '/state/sd-token' };

/** The chart's ServiceMonitor as helm renders it (release todo, namespace todo, Dapr metrics on). */
const chartMonitor = (): ServiceMonitor => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'todo' },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': 'todo', 'app.kubernetes.io/instance': 'todo' } },
    namespaceSelector: { matchNames: ['todo'] },
    endpoints: [{ port: 'http', path: '/metrics', interval: '5s' }, { port: 'dapr-metrics', path: '/', interval: '5s' }],
  },
});

type Relabel = { action?: string; source_labels?: string[]; regex?: string; target_label?: string; replacement?: string };

describe('serviceMonitorScrapeConfigs: a ServiceMonitor as the Prometheus Operator would scrape it', () => {
  const configs = serviceMonitorScrapeConfigs(chartMonitor(), 'todo', sd);
  const relabels = (i: number) => configs[i]!.relabel_configs as Relabel[];

  it('one job per endpoint, named like the operator\'s, with its path and interval', () => {
    expect(configs.map((c) => [c.job_name, c.metrics_path, c.scrape_interval, c.scheme, c.honor_labels])).toEqual([
      ['serviceMonitor/todo/todo/0', '/metrics', '5s', 'http', false],
      ['serviceMonitor/todo/todo/1', '/', '5s', 'http', false],
    ]);
  });

  it('discovers endpointslices in the selected namespaces through the API server with the token', () => {
    expect(configs[0]!.kubernetes_sd_configs).toEqual([{ role: 'endpointslice', api_server: sd.apiServer, tls_config: { ca_file: sd.caFile }, authorization: { type: 'Bearer', credentials_file: sd.tokenFile }, namespaces: { names: ['todo'] } }]);
  });

  it('keeps the Services the selector matches (label present and equal) and the named port only', () => {
    const keeps = relabels(1).filter((r) => r.action === 'keep');
    expect(keeps).toEqual([
      { action: 'keep', source_labels: ['__meta_kubernetes_service_label_app_kubernetes_io_name', '__meta_kubernetes_service_labelpresent_app_kubernetes_io_name'], regex: '(todo);true' },
      { action: 'keep', source_labels: ['__meta_kubernetes_service_label_app_kubernetes_io_instance', '__meta_kubernetes_service_labelpresent_app_kubernetes_io_instance'], regex: '(todo);true' },
      { action: 'keep', source_labels: ['__meta_kubernetes_endpointslice_port_name'], regex: 'dapr-metrics' },
    ]);
  });

  it('labels targets with namespace, service, pod, container, job (the Service) and endpoint (the port)', () => {
    const targets = Object.fromEntries(relabels(0).filter((r) => r.target_label).map((r) => [r.target_label, r.source_labels?.[0] ?? r.replacement]));
    expect(targets).toMatchObject({
      namespace: '__meta_kubernetes_namespace', service: '__meta_kubernetes_service_name', pod: '__meta_kubernetes_pod_name',
      container: '__meta_kubernetes_pod_container_name', job: '__meta_kubernetes_service_name', endpoint: 'http',
    });
    expect(relabels(0)).toContainEqual({ action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' });
  });

  it('uses the ServiceMonitor\'s own namespace when it names none, and its defaults (30s, /metrics)', () => {
    const sm = chartMonitor();
    sm.spec!.namespaceSelector = undefined;
    sm.spec!.endpoints = [{ port: 'http' }];
    const [c] = serviceMonitorScrapeConfigs(sm, 'shop', sd);
    expect(c).toMatchObject({ job_name: 'serviceMonitor/shop/todo/0', scrape_interval: '30s', metrics_path: '/metrics' });
    expect((c!.kubernetes_sd_configs as Array<{ namespaces: unknown }>)[0]!.namespaces).toEqual({ names: ['shop'] });
  });

  it('translates matchExpressions and a jobLabel; quotes regex characters of label values', () => {
    const sm = chartMonitor();
    sm.spec!.selector = { matchLabels: { tier: 'a.b' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['x', 'y+z'] }, { key: 'canary', operator: 'DoesNotExist' }] };
    sm.spec!.jobLabel = 'app.kubernetes.io/component';
    const r = serviceMonitorScrapeConfigs(sm, 'todo', sd)[0]!.relabel_configs as Relabel[];
    expect(r).toContainEqual({ action: 'keep', source_labels: ['__meta_kubernetes_service_label_tier', '__meta_kubernetes_service_labelpresent_tier'], regex: '(a\\.b);true' });
    expect(r).toContainEqual({ action: 'keep', source_labels: ['__meta_kubernetes_service_label_team', '__meta_kubernetes_service_labelpresent_team'], regex: '(x|y\\+z);true' });
    expect(r).toContainEqual({ action: 'drop', source_labels: ['__meta_kubernetes_service_labelpresent_canary'], regex: 'true' });
    expect(r).toContainEqual({ source_labels: ['__meta_kubernetes_service_label_app_kubernetes_io_component'], target_label: 'job', regex: '(.+)', replacement: '${1}' });
  });

  it.each<[string, (sm: ServiceMonitor) => void, RegExp]>([
    ['an unsupported endpoint field', (sm) => (sm.spec!.endpoints![0]!.tlsConfig = {}), /spec\.endpoints\[0\]\.tlsConfig is not supported/],
    ['an endpoint without a port', (sm) => delete sm.spec!.endpoints![1]!.port, /spec\.endpoints\[1\]\.port is empty/],
    ['a bad interval', (sm) => (sm.spec!.endpoints![0]!.interval = '30 seconds'), /spec\.endpoints\[0\]\.interval "30 seconds" is not a Prometheus duration/],
    ['https', (sm) => (sm.spec!.endpoints![0]!.scheme = 'https'), /scheme "https" is not supported/],
    ['a relative path', (sm) => (sm.spec!.endpoints![0]!.path = 'metrics'), /path "metrics" must start with \//],
    ['an empty selector', (sm) => (sm.spec!.selector = {}), /spec\.selector selects nothing/],
    ['a bad operator', (sm) => (sm.spec!.selector = { matchExpressions: [{ key: 'a', operator: 'Equals' }] }), /operator "Equals" is not a label selector operator/],
    ['any namespace', (sm) => (sm.spec!.namespaceSelector = { any: true }), /namespaceSelector\.any is not supported/],
    ['no endpoints', (sm) => (sm.spec!.endpoints = []), /spec\.endpoints is empty/],
    ['an unsupported spec field', (sm) => (sm.spec!.podTargetLabels = ['x']), /spec\.podTargetLabels is not supported/],
    ['another kind', (sm) => (sm.kind = 'PodMonitor'), /kind is "PodMonitor", not ServiceMonitor/],
  ])('refuses %s, naming the field', (_label, mutate, message) => {
    const sm = chartMonitor();
    mutate(sm);
    expect(() => serviceMonitorScrapeConfigs(sm, 'todo', sd)).toThrow(message);
  });

  it('reports every problem at once', () => {
    const sm = chartMonitor();
    sm.spec!.endpoints = [{ port: '', interval: 'x' }];
    expect(() => serviceMonitorScrapeConfigs(sm, 'todo', sd)).toThrow(/ServiceMonitor todo: \n {2}- spec\.endpoints\[0\]\.port is empty.*\n {2}- spec\.endpoints\[0\]\.interval "x"/s);
  });
});

describe('prometheusRuleFile and alertsOf', () => {
  const rule = (): PrometheusRule => ({
    kind: 'PrometheusRule',
    metadata: { name: 'todo' },
    spec: { groups: [{ name: 'todo', rules: [{ alert: 'A', expr: 'up == 0\n', for: '5m' }, { record: 'job:up:sum', expr: 'sum by (job) (up)' }] }] },
  });

  it('keeps the groups as they are and lists the alerts', () => {
    const file = prometheusRuleFile(rule());
    expect(file).toEqual({ groups: rule().spec!.groups });
    expect(alertsOf(file)).toEqual([{ group: 'todo', alert: 'A', expr: 'up == 0', for: '5m' }]);
  });

  it.each<[string, (r: PrometheusRule) => void, RegExp]>([
    ['no groups', (r) => (r.spec!.groups = []), /spec\.groups is empty/],
    ['an empty expr', (r) => (r.spec!.groups![0]!.rules[0]!.expr = ' '), /rules\[0\] \(alert A\): expr is empty/],
    ['a bad for', (r) => (r.spec!.groups![0]!.rules[0]!.for = 'ten minutes'), /for "ten minutes" is not a Prometheus duration/],
    ['alert and record at once', (r) => (r.spec!.groups![0]!.rules[0]!.record = 'x'), /give exactly one of alert and record/],
  ])('refuses %s', (_label, mutate, message) => {
    const r = rule();
    mutate(r);
    expect(() => prometheusRuleFile(r)).toThrow(message);
  });
});

describe('small pieces', () => {
  it.each([['30s', true], ['1h30m', true], ['100ms', true], ['', false], ['30', false], ['1.5m', false], ['5 m', false]])('isDuration(%j) is %s', (v, ok) => {
    expect(isDuration(v)).toBe(ok);
  });

  it('spells label names as service discovery does, and quotes regex characters', () => {
    expect(sdLabelName('app.kubernetes.io/name')).toBe('app_kubernetes_io_name');
    expect(regexQuote('a.b|c(d)*')).toBe('a\\.b\\|c\\(d\\)\\*');
  });

  it('the base config scrapes Prometheus itself and includes the scrape and rule directories', () => {
    expect(prometheusBaseConfig({ listen: '10.203.0.2:16490', scrapeConfigFiles: '/s/*.yml', ruleFiles: '/r/*.yml', scrapeInterval: '15s', evaluationInterval: '5s' })).toEqual({
      global: { scrape_interval: '15s', evaluation_interval: '5s' },
      scrape_config_files: ['/s/*.yml'],
      rule_files: ['/r/*.yml'],
      scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: ['10.203.0.2:16490'] }] }],
    });
  });
});
