import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { checkRules, formatRuleProblems, renderMonitoring } from '../../../app/scripts/monitoring.js';
import { alertsOf, prometheusRuleFile, type RuleGroup } from '../../../stack/src/prometheus-config.js';
import { stack } from '../../support/stack.js';

/**
 * The chart's alert rules, as helm renders them (never copied), against the stack's promtool (built from the Go
 * module proxy with Prometheus itself): `promtool check rules` on every values file, and `promtool test rules`
 * with alerts.promtool.yml, where each alert fires on the series that should trigger it (after its `for:`) and
 * stays quiet on healthy ones. These need only promtool, no cluster; they sit here because promtool comes from
 * the stack.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const chartDir = join(root, 'chart');
const cases = join(import.meta.dirname, 'alerts.promtool.yml');
const { promtool } = stack.prometheus();
const helm = stack.helm().helm4;
const dir = mkdtempSync(join(tmpdir(), 'rules-it-'));

interface Cases {
  tests: Array<{ name: string; alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

async function renderedGroups(valuesFiles: string[] = []): Promise<RuleGroup[]> {
  const rendered = await renderMonitoring({ helm, chartDir, release: 'todo', namespace: 'todo', valuesFiles });
  return prometheusRuleFile(rendered.prometheusRule).groups;
}

/** Writes the rule file and the cases with `rule_files` pointing at it; runs promtool test rules. */
function testRules(groups: RuleGroup[], name: string): { code: number; out: string } {
  const rules = join(dir, `${name}.rules.yml`);
  writeFileSync(rules, dump({ groups }, { lineWidth: -1 }));
  const test = join(dir, `${name}.test.yml`);
  writeFileSync(test, dump({ rule_files: [rules], ...(load(readFileSync(cases, 'utf8')) as object) }, { lineWidth: -1 }));
  const r = spawnSync(promtool, ['test', 'rules', test], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the chart\'s PrometheusRule under promtool', () => {
  it.each([[[]], [['values-oke.yaml']], [['values-local.yaml']]])('promtool check rules accepts the rules rendered with %j', async (files) => {
    const groups = await renderedGroups(files);
    const file = join(dir, 'check.yml');
    writeFileSync(file, dump({ groups }, { lineWidth: -1 }));
    const r = await checkRules(promtool, file, groups);
    if (!r.ok) throw new Error(formatRuleProblems(r.problems));
    expect(r.output).toMatch(/SUCCESS: 4 rules found/);
  });

  it('every alert of the rendered rule has a case where it fires and one where it stays quiet', async () => {
    const alerts = alertsOf({ groups: await renderedGroups() }).map((a) => a.alert);
    expect(alerts).toEqual(['TodoApiErrorRate', 'TodoConsumerLag', 'TodoEventsStuck', 'TodoNoEvents']);
    const tests = (load(readFileSync(cases, 'utf8')) as Cases).tests.flatMap((t) => t.alert_rule_test);
    for (const alert of alerts) {
      const mine = tests.filter((t) => t.alertname === alert);
      expect({ alert, fires: mine.some((t) => t.exp_alerts.length > 0), quiet: mine.some((t) => t.exp_alerts.length === 0) }).toEqual({ alert, fires: true, quiet: true });
    }
    // No case for an alert the chart does not have (a renamed alert would leave its cases testing nothing).
    expect([...new Set(tests.map((t) => t.alertname))].sort()).toEqual(alerts);
  });

  it('promtool test rules: each alert fires on the series that should trigger it and stays quiet on healthy series', async () => {
    const r = testRules(await renderedGroups(), 'chart');
    if (r.code !== 0) throw new Error(`promtool test rules failed:\n${r.out}`);
    expect(r.out).toContain('SUCCESS');
  });

  it('the cases can fail: a metric renamed in a rule breaks them, naming the alert', async () => {
    const renamed = (await renderedGroups()).map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, expr: r.expr.replaceAll('todo_events_consumed_total', 'todo_events_handled_total') })) }));
    const r = testRules(renamed, 'renamed');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED/);
    expect(r.out).toMatch(/alertname: TodoEventsStuck/);
    expect(r.out).toMatch(/alertname: TodoNoEvents/);
  });

  it('a rule that does not parse fails the check with the alert\'s name and its query', async () => {
    const groups = await renderedGroups();
    const broken = groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === 'TodoConsumerLag' ? { ...r, expr: r.expr.replace('sum by (le, topic) (', 'sum by (le, topic) ') } : r)) }));
    const file = join(dir, 'broken.yml');
    writeFileSync(file, dump({ groups: broken }, { lineWidth: -1 }));
    const r = await checkRules(promtool, file, broken);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.alert)).toEqual(['TodoConsumerLag']);
    const text = formatRuleProblems(r.problems);
    expect(text).toMatch(/^alert TodoConsumerLag: could not parse expression: .*parse error/);
    expect(text).toContain('query: histogram_quantile(0.95, sum by (le, topic) rate(todo_event_consume_delay_seconds_bucket{namespace="todo", app=~"todo-api|todo-worker"}[5m]))) > 60');
  });
});
