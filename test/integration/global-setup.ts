import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, statusOf } from '../../stack/src/stack.js';

/**
 * Integration tests need the real local stack. A missing or unhealthy server fails the run here,
 * with what to run, instead of letting tests skip or time out one by one.
 */
export default async function globalSetup(): Promise<void> {
  const ctx = createContext({ info: () => undefined, warn: (m) => console.error(m) });
  const status = await statusOf(ctx);
  if (!status.healthy) {
    const bad = Object.entries(status.components)
      .filter(([, s]) => !s.healthy)
      .map(([name, s]) => `  - ${name}: ${s.problem ?? 'unhealthy'}`)
      .join('\n');
    throw new Error(`The local stack is not healthy:\n${bad}\nStart it with: npm run stack -- up   (npm test does this for you)`);
  }
  writeFileSync(join(ctx.stateDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
}
