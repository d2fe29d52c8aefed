/**
 * What the Prometheus Operator would make of a chart's monitoring objects, for the stack's plain Prometheus
 * (stack/src/components/prometheus.ts), which runs without the operator:
 * - a ServiceMonitor becomes scrape configs (one per endpoint) with Kubernetes service discovery (role
 *   endpointslice) and the operator's relabelling: keep the Services its selector matches, in the namespaces
 *   it names, on the port it names; label targets with namespace, service, pod, container, endpoint, job;
 * - a PrometheusRule becomes a rule file (its spec.groups, as they are).
 * Pure: objects in, objects out (the component writes them as YAML). Every field the translation does not
 * support is refused with its path, rather than scraped differently from what the operator would do.
 */

export type PromConfig = Record<string, unknown>;

/** How Prometheus reaches the API server for service discovery. */
export interface KubernetesSdAccess {
  apiServer: string;
  caFile: string;
  /** A bearer token (a ServiceAccount's) that may list and watch endpointslices, services and pods. */
  tokenFile: string;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface ServiceMonitorEndpoint {
  port?: string;
  path?: string;
  interval?: string;
  scrapeTimeout?: string;
  scheme?: string;
  honorLabels?: boolean;
  [field: string]: unknown;
}

export interface ServiceMonitor {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: {
    selector?: LabelSelector;
    namespaceSelector?: { matchNames?: string[]; any?: boolean };
    endpoints?: ServiceMonitorEndpoint[];
    jobLabel?: string;
    [field: string]: unknown;
  };
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Array<{ alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;
}

export interface PrometheusRule {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { groups?: RuleGroup[] };
}

/** Prometheus's duration syntax (model.ParseDuration). */
const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
export const isDuration = (v: string): boolean => v !== '' && DURATION.test(v);

const ENDPOINT_FIELDS = new Set(['port', 'path', 'interval', 'scrapeTimeout', 'scheme', 'honorLabels']);
const SPEC_FIELDS = new Set(['selector', 'namespaceSelector', 'endpoints', 'jobLabel']);

/** A Kubernetes label name as Prometheus's service discovery spells it in meta labels. */
export function sdLabelName(label: string): string {
  return label.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** An RE2 pattern matching exactly this string. */
export function regexQuote(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function selectorRelabelings(sel: LabelSelector, where: string): { relabel: PromConfig[]; problems: string[] } {
  const relabel: PromConfig[] = [];
  const problems: string[] = [];
  const meta = (k: string) => [`__meta_kubernetes_service_label_${sdLabelName(k)}`, `__meta_kubernetes_service_labelpresent_${sdLabelName(k)}`];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    relabel.push({ action: 'keep', source_labels: meta(k), regex: `(${regexQuote(String(v))});true` });
  }
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const values = (e.values ?? []).map(regexQuote).join('|');
    switch (e.operator) {
      case 'In': relabel.push({ action: 'keep', source_labels: meta(e.key), regex: `(${values});true` }); break;
      case 'NotIn': relabel.push({ action: 'drop', source_labels: meta(e.key), regex: `(${values});true` }); break;
      case 'Exists': relabel.push({ action: 'keep', source_labels: [meta(e.key)[1]], regex: 'true' }); break;
      case 'DoesNotExist': relabel.push({ action: 'drop', source_labels: [meta(e.key)[1]], regex: 'true' }); break;
      default: problems.push(`${where}.matchExpressions[${i}].operator "${e.operator}" is not a label selector operator (In, NotIn, Exists, DoesNotExist)`);
    }
  });
  if (relabel.length === 0 && problems.length === 0) problems.push(`${where} selects nothing to keep: give matchLabels or matchExpressions (an empty selector would scrape every Service)`);
  return { relabel, problems };
}

/**
 * The scrape configs of a ServiceMonitor, one per endpoint, named as the operator names its jobs
 * (`serviceMonitor/<namespace>/<name>/<index>`). `namespace` is where the ServiceMonitor lives (the release's).
 * Throws one error listing every problem, each with its path in the object.
 */
export function serviceMonitorScrapeConfigs(sm: ServiceMonitor, namespace: string, sd: KubernetesSdAccess): PromConfig[] {
  const name = sm.metadata?.name ?? '';
  const where = `ServiceMonitor ${name || '(no metadata.name)'}`;
  const problems: string[] = [];
  if (sm.kind !== 'ServiceMonitor') problems.push(`kind is "${sm.kind ?? ''}", not ServiceMonitor`);
  if (!name) problems.push('metadata.name is empty');
  const spec = sm.spec ?? {};
  for (const f of Object.keys(spec)) if (!SPEC_FIELDS.has(f)) problems.push(`spec.${f} is not supported by the local stack's translation (supported: ${[...SPEC_FIELDS].join(', ')})`);
  const selector = selectorRelabelings(spec.selector ?? {}, 'spec.selector');
  problems.push(...selector.problems);
  const ns = spec.namespaceSelector;
  if (ns?.any) problems.push('spec.namespaceSelector.any is not supported: name the namespaces in matchNames');
  const namespaces = ns?.matchNames?.length ? ns.matchNames : [namespace];
  const endpoints = spec.endpoints ?? [];
  if (endpoints.length === 0) problems.push('spec.endpoints is empty: nothing to scrape');
  endpoints.forEach((ep, i) => {
    const at = `spec.endpoints[${i}]`;
    for (const f of Object.keys(ep)) if (!ENDPOINT_FIELDS.has(f)) problems.push(`${at}.${f} is not supported by the local stack's translation (supported: ${[...ENDPOINT_FIELDS].join(', ')})`);
    if (!ep.port) problems.push(`${at}.port is empty: name the Service port to scrape`);
    if (ep.path !== undefined && !ep.path.startsWith('/')) problems.push(`${at}.path "${ep.path}" must start with /`);
    for (const f of ['interval', 'scrapeTimeout'] as const) {
      const v = ep[f];
      if (v !== undefined && !isDuration(String(v))) problems.push(`${at}.${f} "${String(v)}" is not a Prometheus duration (e.g. 30s, 1m)`);
    }
    if (ep.scheme !== undefined && ep.scheme !== 'http') problems.push(`${at}.scheme "${ep.scheme}" is not supported (http only: the local stack has no scrape TLS)`);
  });
  if (problems.length) throw new Error(`${where}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`);

  return endpoints.map((ep, i) => {
    const interval = ep.interval ?? '30s';
    const cfg: PromConfig = {
      job_name: `serviceMonitor/${namespace}/${name}/${i}`,
      honor_labels: ep.honorLabels ?? false,
      scrape_interval: interval,
      ...(ep.scrapeTimeout ? { scrape_timeout: ep.scrapeTimeout } : {}),
      metrics_path: ep.path ?? '/metrics',
      scheme: 'http',
      kubernetes_sd_configs: [{
        role: 'endpointslice',
        api_server: sd.apiServer,
        tls_config: { ca_file: sd.caFile },
        authorization: { type: 'Bearer', credentials_file: sd.tokenFile },
        namespaces: { names: namespaces },
      }],
      relabel_configs: [
        ...selector.relabel,
        { action: 'keep', source_labels: ['__meta_kubernetes_endpointslice_port_name'], regex: regexQuote(ep.port!) },
        // Terminated pods stay in EndpointSlices for a while: nothing to scrape there.
        { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
        { source_labels: ['__meta_kubernetes_endpointslice_address_target_kind', '__meta_kubernetes_endpointslice_address_target_name'], separator: ';', regex: 'Node;(.*)', replacement: '${1}', target_label: 'node' },
        { source_labels: ['__meta_kubernetes_endpointslice_address_target_kind', '__meta_kubernetes_endpointslice_address_target_name'], separator: ';', regex: 'Pod;(.*)', replacement: '${1}', target_label: 'pod' },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
        { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: '${1}' },
        ...(spec.jobLabel ? [{ source_labels: [`__meta_kubernetes_service_label_${sdLabelName(spec.jobLabel)}`], target_label: 'job', regex: '(.+)', replacement: '${1}' }] : []),
        { target_label: 'endpoint', replacement: ep.port },
      ],
    };
    return cfg;
  });
}

/** The rule file of a PrometheusRule (its groups as they are), after checking its shape; names every problem. */
export function prometheusRuleFile(pr: PrometheusRule): { groups: RuleGroup[] } {
  const where = `PrometheusRule ${pr.metadata?.name ?? '(no metadata.name)'}`;
  const problems: string[] = [];
  if (pr.kind !== 'PrometheusRule') problems.push(`kind is "${pr.kind ?? ''}", not PrometheusRule`);
  const groups = pr.spec?.groups ?? [];
  if (groups.length === 0) problems.push('spec.groups is empty');
  groups.forEach((g, gi) => {
    if (!g.name) problems.push(`spec.groups[${gi}].name is empty`);
    if (!g.rules?.length) problems.push(`spec.groups[${gi}] (${g.name}) has no rules`);
    (g.rules ?? []).forEach((r, ri) => {
      const at = `spec.groups[${gi}].rules[${ri}]${r.alert ? ` (alert ${r.alert})` : r.record ? ` (record ${r.record})` : ''}`;
      if (!r.alert === !r.record) problems.push(`${at}: give exactly one of alert and record`);
      if (typeof r.expr !== 'string' || r.expr.trim() === '') problems.push(`${at}: expr is empty`);
      if (r.for !== undefined && !isDuration(r.for)) problems.push(`${at}: for "${r.for}" is not a Prometheus duration`);
    });
  });
  if (problems.length) throw new Error(`${where}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`);
  return { groups };
}

/** Every alerting rule of a rule file: group, name, expression and `for`. */
export function alertsOf(file: { groups: RuleGroup[] }): Array<{ group: string; alert: string; expr: string; for?: string }> {
  return file.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => ({ group: g.name, alert: r.alert!, expr: r.expr.trim(), for: r.for })));
}

export interface BaseConfigOptions {
  /** host:port Prometheus listens on (it scrapes itself there). */
  listen: string;
  /** Globs of the files with more scrape configs and of the rule files (what an app's deploy adds). */
  scrapeConfigFiles: string;
  ruleFiles: string;
  scrapeInterval: string;
  evaluationInterval: string;
}

/** The stack's own prometheus.yml: itself as a target, and whatever the scrape and rule directories hold. */
export function prometheusBaseConfig(o: BaseConfigOptions): PromConfig {
  return {
    global: { scrape_interval: o.scrapeInterval, evaluation_interval: o.evaluationInterval },
    scrape_config_files: [o.scrapeConfigFiles],
    rule_files: [o.ruleFiles],
    scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: [o.listen] }] }],
  };
}
