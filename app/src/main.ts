/**
 * The process entry: APP_ROLE=api|worker (see config.ts for every setting). Starts the role against the
 * Dapr sidecar at DAPR_HTTP_PORT, logs JSON to stdout, and on SIGTERM/SIGINT drains (app.ts: readiness
 * fails and answers close their connections, in-flight requests finish, the outbox is flushed, then Dapr's
 * app health check fails so daprd stops after the app) and exits 0 (a second signal exits at once).
 */
import { startApp } from './app.js';
import { ConfigError, loadConfig, type AppConfig } from './config.js';
import { createSdkPort } from './dapr/sdk-port.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`todo: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel, base: { app: config.appId, role: config.role } });
  const dapr = createSdkPort({ host: config.daprHost, httpPort: config.daprHttpPort, pubsubName: config.pubsubName, stateStore: config.stateStore, secretStore: config.secretStore, log });
  const app = await startApp(config, { dapr, log });
  log.info('started', { port: app.port, callbackPort: app.callbackPort, daprHttpPort: config.daprHttpPort });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal, delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs, flushMs: config.shutdownFlushMs });
    app.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error('shutdown failed', { err: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`todo: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
