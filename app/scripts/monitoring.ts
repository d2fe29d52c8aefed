/**
 * The chart's monitoring, proven against a real Prometheus. chart/ is rendered (helm template, the stack's
 * helm) with its ServiceMonitor, PrometheusRule and Grafana dashboard switched on, and the rendered objects
 * are used as they are:
 * - `applyLocalMonitoring`: the ServiceMonitor becomes the stack Prometheus's scrape configs and the
 *   PrometheusRule its rules (stack/src/prometheus-config.ts translates as the Prometheus Operator would);
 *   `npm run local` calls it after the deploy (scripts/monitoring.ts local).
 * - `checkRules`: `promtool check rules` on the rendered rule file; a rule that does not parse is reported
 *   with its alert's name and expression (scripts/monitoring.ts check, in `npm test`).
 * The dashboard's queries are walked by app/scripts/dashboard.ts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { applyMonitoring, kubernetesSdAccess, prometheusUrl } from '../../stack/src/components/prometheus.js';
import { alertsOf, prometheusRuleFile, serviceMonitorScrapeConfigs, type PrometheusRule, type RuleGroup, type ServiceMonitor } from '../../stack/src/prometheus-config.js';
import type { StackContext } from '../../stack/src/types.js';
import type { Dashboard } from './dashboard.js';

const run = promisify(execFile);

const TEMPLATES = ['templates/servicemonitor.yaml', 'templates/prometheusrule.yaml', 'templates/grafana-dashboard.yaml'];
const ON = { 'monitoring.serviceMonitor.enabled': 'true', 'monitoring.prometheusRule.enabled': 'true', 'monitoring.grafanaDashboard.enabled': 'true' };
/**
 * Only the monitoring templates are kept, but the chart still renders the rest, which needs its Kafka values:
 * placeholders (they never reach a monitoring object).
 */
const RENDER_ONLY = { 'pubsub.brokers[0]': 'render-only.invalid:9092', 'pubsub.sasl.username': 'render-only' };

export interface RenderMonitoringOptions {
  helm: string;
  chartDir: string;
  release: string;
  namespace: string;
  /** Values files, relative to chartDir (e.g. values-local.yaml); none: the chart's defaults. */
  valuesFiles?: string[];
  /** --set values on top (a test's shorter alert windows). */
  set?: Record<string, string>;
}

export interface RenderedMonitoring {
  serviceMonitor: ServiceMonitor;
  prometheusRule: PrometheusRule;
  dashboard: Dashboard;
}

interface Doc {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
}

/** helm template with the monitoring objects on; returns the three objects (the dashboard parsed from its ConfigMap). */
export async function renderMonitoring(o: RenderMonitoringOptions): Promise<RenderedMonitoring> {
  const args = [
    'template', o.release, o.chartDir, '--namespace', o.namespace,
    ...(o.valuesFiles ?? []).flatMap((f) => ['-f', join(o.chartDir, f)]),
    ...Object.entries(RENDER_ONLY).flatMap(([k, v]) => ['--set-string', `${k}=${v}`]),
    ...Object.entries({ ...ON, ...o.set }).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
    ...TEMPLATES.flatMap((t) => ['--show-only', t]),
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(o.helm, args, { maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm template ${o.chartDir} (monitoring) failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
  const docs = (loadAll(stdout) as Array<Doc | null>).filter((d): d is Doc => !!d && typeof d === 'object');
  const one = (kind: string): Doc => {
    const found = docs.filter((d) => d.kind === kind);
    if (found.length !== 1) throw new Error(`the chart rendered ${found.length} ${kind} objects with monitoring on; expected one`);
    return found[0]!;
  };
  const configMap = one('ConfigMap');
  const [key, json] = Object.entries(configMap.data ?? {})[0] ?? [];
  if (!json) throw new Error(`the dashboard ConfigMap ${configMap.metadata?.name ?? ''} holds no dashboard`);
  let dashboard: Dashboard;
  try {
    dashboard = JSON.parse(json) as Dashboard;
  } catch (err) {
    throw new Error(`the dashboard ${key} in ConfigMap ${configMap.metadata?.name ?? ''} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return { serviceMonitor: one('ServiceMonitor') as ServiceMonitor, prometheusRule: one('PrometheusRule') as PrometheusRule, dashboard };
}

export interface RuleProblem {
  alert: string;
  expr: string;
  message: string;
}

/**
 * `promtool check rules` on a rule file. Each complaint comes back with the rule's alert (or record) name and
 * its expression, which promtool's own message leaves out; ok is false when promtool fails at all.
 */
export async function checkRules(promtool: string, ruleFile: string, groups: RuleGroup[]): Promise<{ ok: boolean; output: string; problems: RuleProblem[] }> {
  try {
    const r = await run(promtool, ['check', 'rules', ruleFile], { timeout: 30_000 });
    return { ok: true, output: `${r.stdout}${r.stderr}`.trim(), problems: [] };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message;
    const problems: RuleProblem[] = [];
    // e.g. `rules.yml: 9:15: group "todo", rule 2, "TodoConsumerLag": could not parse expression: 1:18: parse error: ...`
    for (const m of output.matchAll(/group "([^"]*)", rule (\d+), "([^"]*)": (.*)/g)) {
      const rule = groups.find((g) => g.name === m[1])?.rules[Number(m[2]) - 1];
      problems.push({ alert: m[3]!, expr: rule?.expr.trim() ?? '(not found in the rendered groups)', message: m[4]! });
    }
    if (problems.length === 0) problems.push({ alert: '(file)', expr: '', message: output });
    return { ok: false, output, problems };
  }
}

export function formatRuleProblems(problems: RuleProblem[]): string {
  return problems.map((p) => `alert ${p.alert}: ${p.message}${p.expr ? `\n    query: ${p.expr.replace(/\s*\n\s*/g, ' ')}` : ''}`).join('\n');
}

export interface LocalMonitoring {
  url: string;
  /** Scrape jobs made from the ServiceMonitor's endpoints. */
  jobs: string[];
  alerts: string[];
  rendered: RenderedMonitoring;
}

/**
 * Renders the chart's monitoring for a release on the local stack (values-local.yaml), and installs its
 * targets and rules in the stack's Prometheus (checked by promtool, then reloaded).
 */
export async function applyLocalMonitoring(ctx: StackContext, o: { helm: string; release: string; namespace: string; set?: Record<string, string> }): Promise<LocalMonitoring> {
  const rendered = await renderMonitoring({ helm: o.helm, chartDir: join(ctx.root, 'chart'), release: o.release, namespace: o.namespace, valuesFiles: ['values-local.yaml'], set: o.set });
  const scrapeConfigs = serviceMonitorScrapeConfigs(rendered.serviceMonitor, o.namespace, kubernetesSdAccess(ctx));
  const rules = prometheusRuleFile(rendered.prometheusRule);
  await applyMonitoring(ctx, o.release, { scrapeConfigs, ruleGroups: rules.groups });
  return { url: prometheusUrl(ctx), jobs: scrapeConfigs.map((c) => String(c.job_name)), alerts: alertsOf(rules).map((a) => a.alert), rendered };
}
