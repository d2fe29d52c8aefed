/**
 * Walks a Grafana dashboard (chart/dashboards/todo.json as the chart renders it) and asks a Prometheus every
 * query of every panel, with the dashboard's variables filled in as Grafana would: a query that does not parse
 * or returns no data is a problem named by its panel, its refId and the query itself.
 */

export interface DashboardTarget {
  refId?: string;
  expr?: string;
  hide?: boolean;
}

export interface DashboardPanel {
  id?: number;
  title?: string;
  type?: string;
  targets?: DashboardTarget[];
  /** A row's panels. */
  panels?: DashboardPanel[];
}

export interface Dashboard {
  title?: string;
  panels?: DashboardPanel[];
  templating?: { list?: Array<{ name: string; type: string; query?: string | { query?: string } }> };
}

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

const panelName = (p: DashboardPanel): string => `panel "${p.title ?? '(untitled)'}"${p.id === undefined ? '' : ` (id ${p.id})`}`;

/** Every PromQL query of every panel (rows' panels included); a target without a query is an error. */
export function dashboardQueries(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const problems: string[] = [];
  const walk = (panels: DashboardPanel[]): void => {
    for (const p of panels) {
      if (p.panels) walk(p.panels);
      (p.targets ?? []).forEach((t, i) => {
        const refId = t.refId ?? `#${i}`;
        if (t.hide) return;
        if (typeof t.expr !== 'string' || t.expr.trim() === '') problems.push(`${panelName(p)} target ${refId} has no PromQL expr`);
        else out.push({ panel: panelName(p), refId, expr: t.expr });
      });
      if (p.type !== 'row' && !p.panels && (p.targets ?? []).length === 0) problems.push(`${panelName(p)} has no queries`);
    }
  };
  walk(d.panels ?? []);
  if (problems.length) throw new Error(`dashboard "${d.title ?? ''}": ${problems.join('; ')}`);
  if (out.length === 0) throw new Error(`dashboard "${d.title ?? ''}" has no panel queries`);
  return out;
}

export interface QueryVariable {
  name: string;
  /** label_values(<metric>, <label>): the series selector (may be empty) and the label. */
  match: string;
  label: string;
}

/** The dashboard's query variables; only Grafana's label_values() form is understood. */
export function queryVariables(d: Dashboard): QueryVariable[] {
  return (d.templating?.list ?? []).filter((v) => v.type === 'query').map((v) => {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const m = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(q);
    if (!m) throw new Error(`dashboard "${d.title ?? ''}": variable ${v.name} has query "${q}", which is not label_values(<metric>, <label>)`);
    return { name: v.name, match: m[1] ?? '', label: m[2]! };
  });
}

/**
 * Fills in $var, ${var}, ${var:format} and [[var]]; an unknown variable is an error naming it. ($1 in a
 * label_replace is not a variable.)
 */
export function expandVariables(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{([a-zA-Z_]\w*)(?::\w+)?\}|\[\[([a-zA-Z_]\w*)\]\]|\$([a-zA-Z_]\w*)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const v = vars[name];
    if (v === undefined) throw new Error(`uses the variable ${whole}, which the dashboard check does not know (known: ${Object.keys(vars).join(', ')})`);
    return v;
  });
}

/**
 * Grafana's $__rate_interval for a scrape interval and a query step: max($__interval + scrape interval,
 * 4 x scrape interval), $__interval being the step.
 */
export function rateInterval(scrapeSeconds: number, stepSeconds: number): string {
  return `${Math.max(stepSeconds + scrapeSeconds, 4 * scrapeSeconds)}s`;
}

export interface Series {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** The two calls the check makes; `promHttp` is the real one. */
export interface PromQueries {
  queryRange(expr: string, start: number, end: number, step: number): Promise<Series[]>;
  labelValues(label: string, match: string, start: number, end: number): Promise<string[]>;
}

/** A Prometheus HTTP API client (fetch); a refused query throws with Prometheus's error. */
export function promHttp(url: string, timeoutMs = 10_000): PromQueries {
  const get = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => ({}))) as { status?: string; data?: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`Prometheus answered HTTP ${res.status}: ${body.errorType ?? ''} ${body.error ?? ''}`.trim());
    return body.data as T;
  };
  return {
    queryRange: async (query, start, end, step) => (await get<{ result: Series[] }>('/api/v1/query_range', { query, start: String(start), end: String(end), step: String(step) })).result,
    labelValues: (label, match, start, end) => get<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values`, { ...(match ? { 'match[]': match } : {}), start: String(start), end: String(end) }),
  };
}

export interface DashboardCheck {
  /** Every query asked, expanded, with the number of series that had data. */
  checked: Array<PanelQuery & { query: string; series: number }>;
  problems: string[];
}

/**
 * Asks every query of every panel over [start, end] (seconds since the epoch) with step `step`: each must parse
 * and give at least one series with a number in it (NaN alone, e.g. a quantile of nothing, is no data).
 * Query variables are resolved first through their label_values() query and must offer `want[name]`.
 */
export async function checkDashboard(prom: PromQueries, d: Dashboard, o: { start: number; end: number; step: number; scrapeSeconds: number; want: Record<string, string> }): Promise<DashboardCheck> {
  const problems: string[] = [];
  const vars: Record<string, string> = { __rate_interval: rateInterval(o.scrapeSeconds, o.step), __interval: `${o.step}s`, __range: `${o.end - o.start}s` };
  for (const v of queryVariables(d)) {
    const want = o.want[v.name];
    const values = await prom.labelValues(v.label, v.match, o.start, o.end).catch((err: Error) => {
      problems.push(`variable ${v.name}: label_values(${v.match}, ${v.label}) failed: ${err.message}`);
      return [] as string[];
    });
    if (want === undefined) problems.push(`variable ${v.name}: no value given for it`);
    else if (!values.includes(want)) problems.push(`variable ${v.name}: label_values(${v.match}, ${v.label}) offers [${values.join(', ')}], not ${want}`);
    vars[v.name] = want ?? '';
  }
  const checked: DashboardCheck['checked'] = [];
  for (const q of dashboardQueries(d)) {
    const where = `${q.panel} target ${q.refId}`;
    let query: string;
    try {
      query = expandVariables(q.expr, vars);
    } catch (err) {
      problems.push(`${where} ${(err as Error).message}\n    query: ${q.expr}`);
      continue;
    }
    try {
      const series = (await prom.queryRange(query, o.start, o.end, o.step)).filter((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
      checked.push({ ...q, query, series: series.length });
      if (series.length === 0) problems.push(`${where} returned no data\n    query: ${query}`);
    } catch (err) {
      problems.push(`${where} failed: ${(err as Error).message}\n    query: ${query}`);
    }
  }
  return { checked, problems };
}
