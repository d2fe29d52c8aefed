import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Integration tests need the real local stack. A missing or unhealthy server fails the run here, with
 * what to run, instead of letting tests skip or time out one by one. The stack CLI writes the status
 * (endpoints) that test/support/stack.ts reads.
 */
export default async function globalSetup(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const out = await new Promise<string>((resolvePromise) => {
    execFile(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), resolve(root, 'stack/src/cli.ts'), 'status', '--json'], { cwd: root, maxBuffer: 10 * 1024 * 1024 }, (_err, stdout) => resolvePromise(stdout));
  });
  let status: { healthy: boolean; components: Record<string, { healthy: boolean; problem?: string }> };
  try {
    status = JSON.parse(out) as typeof status;
  } catch {
    throw new Error(`Could not read the local stack's status (npm run stack -- status --json printed: ${out.slice(0, 500)}).\nStart it with: npm run stack -- up`);
  }
  if (!status.healthy) {
    const bad = Object.entries(status.components)
      .filter(([, s]) => !s.healthy)
      .map(([name, s]) => `  - ${name}: ${s.problem ?? 'unhealthy'}`)
      .join('\n');
    throw new Error(`The local stack is not healthy:\n${bad}\nStart it with: npm run stack -- up   (npm test does this for you)`);
  }
}
