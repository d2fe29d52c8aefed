/**
 * Assembles one role of the app around a DaprPort: the public listener (UI, API, health, metrics) and
 * the callback listener Dapr calls (job callbacks for the API, subscriptions for the worker). main.ts
 * runs it with the real sidecar; unit tests run it in-process with a fake DaprPort.
 */
import { Authenticator } from './auth/authenticator.js';
import type { AppConfig } from './config.js';
import { ROUTES, TOPICS } from './contract.js';
import type { DaprPort } from './dapr/port.js';
import { EventPublisher } from './events/cloudevents.js';
import { Outbox } from './events/outbox.js';
import { HttpError } from './http/errors.js';
import { Router } from './http/router.js';
import { listen, type Listener } from './http/server.js';
import type { Logger } from './log.js';
import { AppMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { Notifications } from './notifications.js';
import { Reminders, onReminderJob } from './tasks/reminders.js';
import { TaskRepository } from './tasks/repository.js';
import { addTaskRoutes } from './tasks/routes.js';
import { TaskService } from './tasks/service.js';
import { OUTBOX_INDEX, StateIndex, USER_ID_INDEX, type IndexState } from './tasks/state-index.js';
import { addUiRoutes } from './ui.js';
import { workerHandlers } from './worker/handlers.js';

export interface RunningApp {
  port: number;
  callbackPort: number;
  metrics: AppMetrics;
  /** Ready: the sidecar answers (and, for the API, the JWT key is loaded). */
  isReady(): Promise<boolean>;
  /**
   * Graceful, in the order the chart's pod shutdown relies on (see shutdown() below): readiness fails and
   * answers close their connections for SHUTDOWN_DELAY_MS, the listener closes and in-flight requests finish
   * (SHUTDOWN_GRACE_MS), the outbox is flushed (SHUTDOWN_FLUSH_MS), then Dapr's app health check fails and
   * the callback listener closes. A second call returns the first one's promise.
   */
  stop(): Promise<void>;
}

export interface AppDeps {
  dapr: DaprPort;
  log: Logger;
  /** Delay between JWT key load attempts while the secret store is not reachable yet. */
  keyRetryMs?: number;
}

/** The indexes' state as one: ready when all are, failed when one failed, off without any. */
function indexState(indexes: StateIndex[]): IndexState {
  if (!indexes.length) return 'off';
  const states = indexes.map((i) => i.state);
  return states.every((st) => st === 'ready') ? 'ready' : states.includes('failed') ? 'failed' : 'pending';
}

export async function startApp(config: AppConfig, deps: AppDeps): Promise<RunningApp> {
  const { dapr, log } = deps;
  const metrics = new AppMetrics({ app: config.appId });
  const publisher = new EventPublisher(dapr, metrics, log);
  // Failures count from 0, not from absent: the dashboard's publish-failure panel and a rate() over it show
  // "none" before the first failure instead of no data (which would look like a renamed metric).
  for (const topic of config.role === 'api' ? [TOPICS.taskEvents, TOPICS.reminders] : [TOPICS.taskUpdates]) metrics.publishFailures.inc({ topic }, 0);
  const notifications = new Notifications(dapr);
  const pub = new Router();
  const callback = new Router();
  let stopping = false;
  /** Dapr's app health check answer: false only at the very end of a shutdown (after the outbox flush). */
  let callbackHealthy = true;
  let auth: Authenticator | undefined;
  let keyLoop: Promise<void> = Promise.resolve();
  let stateIndexes: StateIndex[] = [];
  let outbox: Outbox | undefined;

  // Dapr asks for programmatic subscriptions and app config: the subscriptions are declarative (chart).
  callback.get('/dapr/subscribe', () => ({ status: 200, body: [] }));
  callback.get('/dapr/config', () => ({ status: 200, body: {} }));

  if (config.role === 'api') {
    auth = new Authenticator({ dapr, secretName: config.secretName, keyField: config.jwtKeyField, issuer: config.jwtIssuer, audience: config.jwtAudience, log });
    const repo = new TaskRepository(dapr, { listMaxTasks: config.listMaxTasks });
    if (config.stateSqlBinding) {
      const binding = config.stateSqlBinding;
      stateIndexes = [USER_ID_INDEX, OUTBOX_INDEX].map((index) => new StateIndex({ dapr, binding, table: config.stateTable, index, log, retryMs: deps.keyRetryMs, stopped: () => stopping }));
      for (const i of stateIndexes) void i.ensure();
    }
    const reminders = new Reminders(dapr, log);
    outbox = new Outbox({ dapr, publisher, metrics, log, relayAfterMs: config.outboxRelayAfterMs });
    outbox.start();
    const tasks = new TaskService({ repo, outbox, reminders, log, source: config.appId });
    addUiRoutes(pub, config.uiDir);
    addTaskRoutes(pub, { auth, tasks, notifications, devSignIn: config.devSignIn });
    callback.post(`${ROUTES.jobPrefix}:name`, async (req) => {
      const outcome = await onReminderJob(req.params.name ?? '', req.body, { repo, publisher, metrics, log, source: config.appId });
      return { status: 200, body: { outcome } };
    });
    const a = auth;
    keyLoop = (async () => {
      for (let attempt = 1; !stopping && !a.ready; attempt++) {
        try {
          await a.load();
          log.info('JWT verification key loaded from the secret store', { store: config.secretStore, secret: config.secretName });
        } catch (err) {
          if (attempt === 1 || attempt % 10 === 0) log.warn('waiting for the JWT key from the Dapr secret store', { store: config.secretStore, secret: config.secretName, attempt, err: err instanceof Error ? err.message : String(err) });
          await new Promise((r) => setTimeout(r, deps.keyRetryMs ?? 1_000));
        }
      }
    })();
  } else {
    const h = workerHandlers({ appId: config.appId, publisher, notifications, metrics, log });
    callback.post(ROUTES.taskEvents, h.taskEvents).post(ROUTES.probe, h.probe).post(ROUTES.reminders, h.reminders);
  }

  const isReady = async (): Promise<boolean> => !stopping && (auth === undefined || auth.ready) && (await dapr.healthy());
  pub.get('/healthz', () => ({ status: 200, body: { status: 'ok' } }));
  // Dapr's app health check (the chart's dapr.io/enable-app-health-check) probes the port it delivers to:
  // while this fails (the process down), daprd pauses the subscriptions instead of retrying deliveries into
  // the dead-letter topic. During a shutdown it passes until the app no longer needs daprd (requests done,
  // outbox flushed): its failing is what ends daprd's block-shutdown (the chart's dapr.io/block-shutdown-duration),
  // so daprd keeps serving the app's state and publish calls until then.
  callback.get('/healthz', () => (callbackHealthy ? { status: 200, body: { status: 'ok' } } : { status: 503, body: { status: 'stopped' } }));
  pub.get('/readyz', async () => {
    // stateIndex is information, not a condition: without it lists are slower, not wrong.
    const checks = { sidecar: await dapr.healthy(), ...(auth ? { jwtKey: auth.ready } : {}), ...(config.role === 'api' ? { stateIndex: indexState(stateIndexes) } : {}), shuttingDown: stopping };
    const ok = checks.sidecar && (auth === undefined || auth.ready) && !stopping;
    if (!ok) throw new HttpError(503, 'not_ready', 'not ready', checks);
    return { status: 200, body: { status: 'ready', ...checks } };
  });
  pub.get('/metrics', () => ({ status: 200, raw: metrics.render(), contentType: METRICS_CONTENT_TYPE }));

  const callbackListener: Listener = await listen({ name: 'callback', host: config.callbackHost, port: config.callbackPort, router: callback, log, metrics });
  let publicListener: Listener;
  try {
    publicListener = await listen({ name: 'public', host: config.host, port: config.port, router: pub, log, metrics });
  } catch (err) {
    await callbackListener.close(0);
    throw err;
  }

  /**
   * The shutdown, step by step. In a pod, kubelet has already run the preStop sleep (endpoints dropped the pod)
   * and daprd got its SIGTERM at the start of it: it stopped its subscriptions and waits (block-shutdown) until
   * this app's health check fails, still serving the app's calls.
   * 1. Readiness fails; every answer says `Connection: close`, so kept-alive clients reconnect elsewhere.
   * 2. After SHUTDOWN_DELAY_MS the public listener closes; its in-flight requests, and Dapr's deliveries in
   *    flight on the callback listener, get SHUTDOWN_GRACE_MS (one budget for both).
   * 3. The outbox flush: publishes still running finish, published records are deleted (SHUTDOWN_FLUSH_MS).
   * 4. The app health check fails (daprd ends its block and stops), the callback listener closes.
   */
  const shutdown = async (): Promise<void> => {
    const t0 = Date.now();
    const ms = (): number => Date.now() - t0;
    stopping = true;
    publicListener.drain();
    log.info('shutdown: readiness failing, answers close their connections', { delayMs: config.shutdownDelayMs });
    if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
    await Promise.all([publicListener.close(config.shutdownGraceMs), callbackListener.idle(config.shutdownGraceMs)]);
    log.info('shutdown: requests finished', { atMs: ms() });
    await keyLoop;
    if (outbox) {
      const flushed = await outbox.stop(config.shutdownFlushMs);
      if (flushed.settled && flushed.undeleted === 0) log.info('shutdown: outbox flushed', { atMs: ms(), ...flushed });
      else log.warn('shutdown: outbox flush incomplete: the relay of another replica (or of the next start) publishes what is left', { atMs: ms(), ...flushed });
    }
    callbackHealthy = false;
    await callbackListener.close(Math.min(config.shutdownGraceMs, 1_000));
    log.info('shutdown: the Dapr app health check fails now; daprd stops after it', { atMs: ms() });
    await dapr.close();
  };
  let stopped: Promise<void> | undefined;

  return {
    port: publicListener.port,
    callbackPort: callbackListener.port,
    metrics,
    isReady,
    stop: () => (stopped ??= shutdown()),
  };
}
