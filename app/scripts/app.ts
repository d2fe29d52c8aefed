/**
 * npm run app -- up [--port N] [--instance NAME] [--no-probe-route]   start the API and the worker (each with daprd)
 * npm run app -- down [--instance NAME]                                stop them
 * npm run app -- status [--instance NAME] [--json]                     where they listen, and whether they are ready
 * npm run app -- token <user> [--instance NAME] [--hours N]            a bearer token for the API (HS256, local key)
 *
 * Needs the local stack: npm run stack -- up.
 */
import { parseArgs } from 'node:util';
import { createContext } from '../../stack/src/stack.js';
import { signHs256 } from '../src/auth/jwt.js';
import { isRunning, jwtKey, readInstance, stackEndpoints, startLocal, stopLocal } from './local.js';

const USAGE = 'usage: npm run app -- up [--port N] [--instance NAME] [--no-probe-route] | down | status [--json] | token <user> [--hours N]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      instance: { type: 'string', default: 'todo' },
      'no-probe-route': { type: 'boolean' },
      json: { type: 'boolean' },
      hours: { type: 'string', default: '12' },
    },
  });
  const [command, ...rest] = positionals;
  const instance = values.instance ?? 'todo';
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(instance)) throw new Error(`--instance must be a short DNS label, got "${instance}"`);
  const ctx = createContext({ info: (m) => console.error(m), warn: (m) => console.error(`warning: ${m}`) });

  switch (command) {
    case 'up': {
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new Error(`--port must be a port number, got "${values.port}"`);
      const t0 = performance.now();
      const info = await startLocal(ctx, await stackEndpoints(ctx), { instance, apiPort: port, probeRoute: !values['no-probe-route'], log: (l) => console.error(`app: ${l}`) });
      console.error(`app: ${info.api.appId} and ${info.worker.appId} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s; logs ${info.api.logFile}, ${info.worker.logFile}`);
      console.error(`app: sign in with any name (dev tokens), or: npm run app -- token <user>; stop with: npm run app -- down`);
      console.log(`UI: ${info.url}`);
      return 0;
    }
    case 'down': {
      const stopped = await stopLocal(ctx, instance);
      console.log(stopped.length ? `stopped: ${stopped.join(', ')}` : `${instance} was not running`);
      return 0;
    }
    case 'status': {
      const info = readInstance(ctx, instance);
      const up = info ? await isRunning(ctx, info) : false;
      if (values.json) console.log(JSON.stringify({ running: up, ...(info ?? {}) }, null, 2));
      else console.log(info && up ? `${instance}: ready, UI ${info.url} (api ${info.api.appId} :${info.api.port}, worker ${info.worker.appId} :${info.worker.port})` : `${instance}: not running`);
      return up ? 0 : 1;
    }
    case 'token': {
      const user = rest[0];
      const hours = Number(values.hours);
      if (!user || !Number.isFinite(hours) || hours <= 0) {
        console.error(USAGE);
        return 2;
      }
      const iat = Math.floor(Date.now() / 1000);
      console.log(signHs256({ sub: user, name: user, iat, exp: iat + Math.round(hours * 3600) }, Buffer.from(jwtKey(ctx, instance), 'utf8')));
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`app: ${err.message}`);
    process.exit(1);
  },
);
