import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { dump } from 'js-yaml';
import { sidecarProcessName, startSidecar, type Sidecar, type SidecarOptions } from '../../stack/src/dapr-sidecar.js';
import { createContext } from '../../stack/src/stack.js';
import { stack } from './stack.js';

/**
 * Helpers for tests that run a real daprd (the stack's slim build) next to an app in the test process:
 * Dapr component YAMLs built from the stack's endpoints, a recording app server, and sidecar start-up.
 */

export interface DaprComponent {
  name: string;
  type: string;
  version?: string;
  metadata: Record<string, string>;
}

/** Kafka pub/sub on the stack's SASL/SCRAM-SHA-256 listener. */
export function kafkaPubsub(name: string, options: { consumerGroup: string; initialOffset?: 'oldest' | 'newest'; password?: string }): DaprComponent {
  const k = stack.kafka();
  return {
    name,
    type: 'pubsub.kafka',
    metadata: {
      brokers: k.sasl,
      authType: 'password',
      saslUsername: k.username,
      saslPassword: options.password ?? k.password,
      saslMechanism: 'SHA-256',
      disableTls: 'true',
      consumerGroup: options.consumerGroup,
      initialOffset: options.initialOffset ?? 'oldest',
      clientID: `dapr-${name}`,
    },
  };
}

/**
 * PostgreSQL state store (v1, the default) in the stack's database. Give each table its own
 * metadataTableName: v1 tracks its schema migrations per metadata table, not per state table.
 */
export function postgresState(name: string, tables: { tableName: string; metadataTableName: string }): DaprComponent {
  return { name, type: 'state.postgresql', version: 'v1', metadata: { connectionString: stack.postgres().url, ...tables } };
}

export function localFileSecrets(name: string, secretsFile: string): DaprComponent {
  return { name, type: 'secretstores.local.file', metadata: { secretsFile, nestedSeparator: ':' } };
}

export function envSecrets(name: string): DaprComponent {
  return { name, type: 'secretstores.local.env', metadata: {} };
}

/** A private temporary resources directory holding one YAML per component. */
export function writeResources(components: DaprComponent[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dapr-resources-'));
  for (const c of components) {
    const doc = {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Component',
      metadata: { name: c.name },
      spec: {
        type: c.type,
        version: c.version ?? 'v1',
        metadata: Object.entries(c.metadata).map(([n, value]) => ({ name: n, value })),
      },
    };
    writeFileSync(join(dir, `${c.name}.yaml`), dump(doc), { mode: 0o600 });
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Delivery {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  at: number;
}

export interface Subscription {
  pubsubname: string;
  topic: string;
  route: string;
}

export interface TestApp {
  port: number;
  deliveries: Delivery[];
  /** Resolves with the first delivery (past or future) to `path` that matches; rejects after timeoutMs. */
  waitFor(path: string, match?: (d: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  close(): Promise<void>;
}

/**
 * The app side of a sidecar: answers `GET /dapr/subscribe` with `subscriptions`, and records (then
 * acknowledges with 200) every POST Dapr makes to it: pub/sub deliveries and job callbacks (`/job/<name>`).
 */
export async function startTestApp(subscriptions: Subscription[] = []): Promise<TestApp> {
  const deliveries: Delivery[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && path === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(subscriptions));
        return;
      }
      if (req.method === 'GET' && path === '/dapr/config') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      deliveries.push({ method: req.method ?? '', path, headers: req.headers, body, at: Date.now() });
      for (const w of waiters) w();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'SUCCESS' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const waitFor = (path: string, match: (d: Delivery) => boolean = () => true, timeoutMs = 30_000): Promise<Delivery> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const d = deliveries.find((x) => x.path === path && match(x));
        if (d) {
          waiters.delete(onDelivery);
          clearTimeout(timer);
          resolve(d);
        }
        return d !== undefined;
      };
      const onDelivery = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(onDelivery);
        reject(new Error(`no matching POST ${path} within ${timeoutMs / 1000} s; got: ${JSON.stringify(deliveries.map((d) => d.path))}`));
      }, timeoutMs);
      if (!check()) waiters.add(onDelivery);
    });

  return {
    port,
    deliveries,
    waitFor,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the stack's daprd for `appId`, wired to the stack's scheduler. Test app ids are fixed (one log file
 * per test in <stateDir>/logs), so a sidecar an interrupted run left behind under the same id is stopped first.
 */
export async function startTestSidecar(options: Omit<SidecarOptions, 'daprd' | 'schedulerAddress'>): Promise<Sidecar> {
  const d = stack.dapr();
  const ctx = createContext({ info: () => undefined, warn: (m) => console.error(m) });
  await ctx.procs.stop(sidecarProcessName(options.appId));
  return startSidecar(ctx, { ...options, daprd: d.daprd, schedulerAddress: d.scheduler });
}

/**
 * A @dapr/dapr client (HTTP) for a sidecar. The SDK's own log lines go to `sdkLog` instead of the console:
 * it logs every failed call at error level, which tests that expect a failure would print as noise.
 */
export function daprClient(sidecar: Sidecar): { client: DaprClient; sdkLog: string[] } {
  const sdkLog: string[] = [];
  const record = (level: string) => (message: unknown) => void sdkLog.push(`${level}: ${String(message)}`);
  const client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Warn, service: { error: record('error'), warn: record('warn'), info: record('info'), verbose: record('verbose'), debug: record('debug') } },
  });
  return { client, sdkLog };
}
