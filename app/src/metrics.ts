/**
 * A small Prometheus registry: counters and histograms with labels, rendered in the text exposition
 * format 0.0.4 at GET /metrics. (The few metrics the app needs do not justify prom-client.)
 */

export type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (extra) pairs.push(extra);
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function num(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(n) ? String(n) : String(+n.toPrecision(12));
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    /** Labels every series carries (e.g. the app id). */
    private readonly constLabels: Labels = {},
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const entry = this.values.get(k) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(k, entry);
  }

  get(labels: Labels = {}): number {
    return this.values.get(keyOf(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText({ ...this.constLabels, ...labels })} ${num(value)}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly buckets: number[],
    private readonly constLabels: Labels = {},
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    const s = this.series.get(k) ?? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]! += 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(k, s);
  }

  count(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.count ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      const labels = { ...this.constLabels, ...s.labels };
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(labels, ['le', num(b)])} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${num(s.sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DELAY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The app's metrics. Names are what chart/templates/prometheusrule.yaml and the dashboard query. */
export class AppMetrics {
  readonly httpRequests: Counter;
  readonly httpDuration: Histogram;
  readonly eventsPublished: Counter;
  readonly publishFailures: Counter;
  readonly eventsConsumed: Counter;
  readonly consumeDelay: Histogram;
  readonly jobsTriggered: Counter;
  readonly eventsRelayed: Counter;
  private readonly startSeconds = Math.floor(Date.now() / 1000);

  /** `labels` go on every series (the app id: Prometheus rules and the dashboard select on it). */
  constructor(private readonly labels: Labels = {}) {
    this.httpRequests = new Counter('todo_http_requests_total', 'HTTP requests served, by listener, route and status code.', labels);
    this.httpDuration = new Histogram('todo_http_request_duration_seconds', 'HTTP request duration in seconds, by listener and route.', LATENCY_BUCKETS, labels);
    this.eventsPublished = new Counter('todo_events_published_total', 'CloudEvents published through Dapr pub/sub, by topic and type.', labels);
    this.publishFailures = new Counter('todo_event_publish_failures_total', 'Publishes Dapr refused or that failed, by topic.', labels);
    this.eventsConsumed = new Counter('todo_events_consumed_total', 'CloudEvents delivered by Dapr, by topic, type and outcome (success, retry, drop).', labels);
    this.consumeDelay = new Histogram('todo_event_consume_delay_seconds', "Seconds from an event's time to its delivery to this app, by topic (consumer lag as time).", DELAY_BUCKETS, labels);
    this.jobsTriggered = new Counter('todo_jobs_triggered_total', 'Dapr job callbacks received, by outcome.', labels);
    this.eventsRelayed = new Counter('todo_events_relayed_total', 'Pending events the outbox relay published (their first publish failed or never happened), by topic.', labels);
  }

  render(): string {
    const base = labelText(this.labels);
    const process = [
      '# HELP todo_process_start_time_seconds Start time of the process since the Unix epoch in seconds.',
      '# TYPE todo_process_start_time_seconds gauge',
      `todo_process_start_time_seconds${base} ${this.startSeconds}`,
      '# HELP todo_process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE todo_process_resident_memory_bytes gauge',
      `todo_process_resident_memory_bytes${base} ${globalThis.process.memoryUsage.rss()}`,
    ];
    const all = [this.httpRequests, this.httpDuration, this.eventsPublished, this.publishFailures, this.eventsConsumed, this.consumeDelay, this.jobsTriggered, this.eventsRelayed];
    return `${[...all.map((m) => m.render()), ...process].join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
