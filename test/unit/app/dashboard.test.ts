import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDashboard, dashboardQueries, expandVariables, queryVariables, rateInterval, type Dashboard, type PromQueries, type Series } from '../../../app/scripts/dashboard.js';
import { repoRoot } from '../../../stack/src/config.js';

const chartDashboard = (): Dashboard => JSON.parse(readFileSync(join(repoRoot, 'chart', 'dashboards', 'todo.json'), 'utf8')) as Dashboard;

/** A Prometheus stand-in: answers each query from a table (by metric name in the query), records what it was asked. */
function fakeProm(data: Record<string, Series[] | Error>, namespaces = ['todo']): PromQueries & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    queryRange: async (expr) => {
      asked.push(expr);
      const hit = Object.entries(data).find(([metric]) => expr.includes(metric))?.[1];
      if (hit instanceof Error) throw hit;
      return hit ?? [];
    },
    labelValues: async () => namespaces,
  };
}
const some = (v = '1'): Series[] => [{ metric: {}, values: [[1, v]] }];

describe('dashboardQueries', () => {
  it('lists every query of every panel of the chart\'s dashboard with its panel and refId', () => {
    const q = dashboardQueries(chartDashboard());
    expect(q.length).toBe(9);
    expect(q[0]).toEqual({ panel: 'panel "API requests by status" (id 1)', refId: 'A', expr: expect.stringContaining('todo_http_requests_total') });
    expect(q.filter((x) => x.panel.includes('Publish failures')).map((x) => x.refId)).toEqual(['A', 'B']);
  });

  it('walks rows, skips hidden targets, and refuses a target without a query or a panel without targets', () => {
    const d: Dashboard = { title: 'd', panels: [{ type: 'row', title: 'r', panels: [{ id: 3, title: 'in a row', targets: [{ refId: 'A', expr: 'up' }, { refId: 'B', expr: 'x', hide: true }] }] }] };
    expect(dashboardQueries(d)).toEqual([{ panel: 'panel "in a row" (id 3)', refId: 'A', expr: 'up' }]);
    expect(() => dashboardQueries({ title: 'd', panels: [{ id: 1, title: 'p', targets: [{ refId: 'A' }] }] })).toThrow('dashboard "d": panel "p" (id 1) target A has no PromQL expr');
    expect(() => dashboardQueries({ title: 'd', panels: [{ id: 2, title: 'empty', type: 'timeseries' }] })).toThrow('panel "empty" (id 2) has no queries');
  });
});

describe('variables', () => {
  it('reads label_values() variables and refuses other query forms', () => {
    expect(queryVariables(chartDashboard())).toEqual([{ name: 'namespace', match: 'todo_http_requests_total', label: 'namespace' }]);
    expect(() => queryVariables({ title: 'd', templating: { list: [{ name: 'x', type: 'query', query: 'query_result(up)' }] } })).toThrow('variable x has query "query_result(up)", which is not label_values(<metric>, <label>)');
  });

  it.each([
    ['rate(x{ns="$namespace"}[$__rate_interval])', 'rate(x{ns="todo"}[20s])'],
    ['x{ns="${namespace}"}', 'x{ns="todo"}'],
    ['x{ns="${namespace:regex}"}', 'x{ns="todo"}'],
    ['x{ns="[[namespace]]"}', 'x{ns="todo"}'],
    ['label_replace(up, "a", "$1", "job", "(.*)")', 'label_replace(up, "a", "$1", "job", "(.*)")'],
  ])('expands %s', (expr, want) => {
    expect(expandVariables(expr, { namespace: 'todo', __rate_interval: '20s' })).toBe(want);
  });

  it('names an unknown variable', () => {
    expect(() => expandVariables('x{a="$cluster"}', { namespace: 'todo' })).toThrow('uses the variable $cluster, which the dashboard check does not know (known: namespace)');
  });

  it('$__rate_interval is Grafana\'s max(step + scrape interval, 4 x scrape interval)', () => {
    expect(rateInterval(5, 5)).toBe('20s');
    expect(rateInterval(30, 60)).toBe('120s');
    expect(rateInterval(15, 60)).toBe('75s');
  });
});

describe('checkDashboard', () => {
  const window = { start: 1000, end: 1300, step: 5, scrapeSeconds: 5, want: { namespace: 'todo' } };
  const all = { todo_http_requests_total: some(), todo_http_request_duration: some(), todo_events_published: some(), todo_events_consumed: some(), todo_event_consume_delay: some(), todo_event_publish_failures: some('0'), todo_jobs_triggered: some(), todo_process_resident: some(), dapr_component_pubsub_ingress_count: some() };

  it('passes when every query has data, asking each with the variables filled in', async () => {
    const prom = fakeProm(all);
    const r = await checkDashboard(prom, chartDashboard(), window);
    expect(r.problems).toEqual([]);
    expect(r.checked).toHaveLength(9);
    expect(prom.asked[0]).toBe('sum by (status) (rate(todo_http_requests_total{namespace="todo", listener="public"}[20s]))');
    expect(prom.asked.every((q) => !q.includes('$'))).toBe(true);
  });

  it('a query without data, or with only NaN, fails naming the panel, the refId and the query', async () => {
    const r = await checkDashboard(fakeProm({ ...all, todo_jobs_triggered: [], todo_event_consume_delay: some('NaN') }), chartDashboard(), window);
    expect(r.problems).toEqual([
      'panel "Event age at delivery p95 (consumer lag)" (id 5) target A returned no data\n    query: histogram_quantile(0.95, sum by (le, topic) (rate(todo_event_consume_delay_seconds_bucket{namespace="todo"}[20s])))',
      'panel "Publish failures and reminder jobs" (id 6) target B returned no data\n    query: sum by (outcome) (rate(todo_jobs_triggered_total{namespace="todo"}[20s]))',
    ]);
  });

  it('a query Prometheus refuses fails with its error, and a namespace the variable does not offer is named', async () => {
    const r = await checkDashboard(fakeProm({ ...all, dapr_component_pubsub_ingress_count: new Error('Prometheus answered HTTP 400: bad_data parse error') }, ['other']), chartDashboard(), window);
    expect(r.problems).toContain('variable namespace: label_values(todo_http_requests_total, namespace) offers [other], not todo');
    expect(r.problems).toContain('panel "Dapr sidecar: pub/sub deliveries" (id 8) target A failed: Prometheus answered HTTP 400: bad_data parse error\n    query: sum by (app_id, topic, process_status) (rate(dapr_component_pubsub_ingress_count{namespace="todo"}[20s]))');
  });
});
