#!/usr/bin/env node
/**
 * npm run stack -- up [component...]     install (cached) and start; idempotent
 * npm run stack -- down [component...]   stop exactly the processes the stack started
 * npm run stack -- status [--json]       health and endpoints of each component
 * npm run stack -- dapr <app-id> ...     start (or --stop) a daprd sidecar for a local app (dapr-sidecar.ts)
 */
import { createContext, down, select, statusOf, up, writeStatus } from './stack.js';
import { sidecarCommand } from './dapr-sidecar.js';
import type { Logger } from './types.js';

/**
 * Endpoints for the human-readable lines (which land in logs: npm run local, CI): a URL's password is shown as
 * ***. `status --json` keeps the full values (tests and the deploy workflow read them from there).
 */
function endpointsLine(endpoints: Record<string, string>): string {
  return Object.entries(endpoints).map(([k, v]) => `${k}=${v.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@\s]*@/i, '$1:***@')}`).join(' ');
}

const log: Logger = {
  info: (m) => console.error(`stack: ${m}`),
  warn: (m) => console.error(`stack: warning: ${m}`),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const names = rest.filter((a) => !a.startsWith('--'));
  const ctx = createContext(log);
  switch (command) {
    case 'up': {
      const t0 = performance.now();
      const report = await up(ctx, names);
      const total = Math.round(performance.now() - t0) / 1000;
      for (const [name, s] of Object.entries(report.status.components)) {
        console.log(`${s.healthy ? 'ok  ' : 'FAIL'} ${name.padEnd(10)} ${endpointsLine(s.endpoints)}`);
      }
      console.log(`stack up in ${total} s (${Object.entries(report.seconds).map(([k, v]) => `${k} ${v} s`).join(', ')}); state in ${ctx.stateDir}`);
      return report.status.healthy ? 0 : 1;
    }
    case 'down': {
      const stopped = await down(ctx, names);
      console.log(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      const status = await statusOf(ctx, select(names));
      if (names.length === 0) writeStatus(ctx, status);
      if (json) {
        console.log(JSON.stringify(status, null, 2));
      } else {
        for (const [name, s] of Object.entries(status.components)) {
          const where = endpointsLine(s.endpoints);
          console.log(`${s.healthy ? 'ok  ' : 'DOWN'} ${name.padEnd(10)} ${s.healthy ? where : (s.problem ?? '')}`);
        }
      }
      return status.healthy ? 0 : 1;
    }
    case 'dapr':
      return sidecarCommand(ctx, rest);
    default:
      console.error('usage: npm run stack -- up|down|status [--json] [component...] | dapr <app-id> ...');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`stack: ${err.message}`);
    process.exit(1);
  },
);
