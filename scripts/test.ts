/**
 * npm test: the whole check, as CI runs it. Lint (ESLint, then the action pin check scripts/check-pins.ts),
 * type-check, unit tests, the action bundles, then the local stack (brought up when it is down; idempotent
 * when it is up), `promtool check rules` on the chart's rendered alert rules, and the integration tests.
 * Ends with one line "tests: N passed, N failed".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './actions.js';

const node = process.execPath;
const bin = (p: string): string => join(root, 'node_modules', p);

function run(label: string, cmd: string, args: string[]): Promise<number> {
  console.log(`\n━━ ${label}`);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      console.log(`━━ ${label}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      resolve(code ?? 1);
    });
  });
}

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
}

async function jest(label: string, project: string, outDir: string, extra: string[] = []): Promise<JestJson & { code: number }> {
  const out = join(outDir, `${project}.json`);
  const code = await run(label, node, ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', bin('jest/bin/jest.js'), '--selectProjects', project, '--json', `--outputFile=${out}`, ...extra]);
  try {
    return { ...(JSON.parse(readFileSync(out, 'utf8')) as JestJson), code };
  } catch {
    return { numPassedTests: 0, numFailedTests: 0, numTotalTests: 0, code: code || 1 };
  }
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const want = (step: string): boolean => only.length === 0 || only.includes(step);
  const outDir = mkdtempSync(join(tmpdir(), 'oke-test-'));
  let passed = 0;
  let failed = 0;
  let code = 0;
  const step = async (name: string, fn: () => Promise<number>): Promise<void> => {
    if (!want(name) || code !== 0) return;
    code = await fn();
  };
  try {
    await step('lint', async () => (await run('lint', node, [bin('eslint/bin/eslint.js'), '--max-warnings=0', '.'])) || run('action pins (scripts/check-pins.ts)', node, [bin('tsx/dist/cli.mjs'), 'scripts/check-pins.ts']));
    await step('typecheck', () => run('type-check', node, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']));
    for (const [name, project, extra] of [['unit', 'unit', []], ['integration', 'integration', ['--runInBand']]] as const) {
      if (name === 'integration') {
        await step('build', () => run('build the action bundles', node, [bin('tsx/dist/cli.mjs'), 'scripts/build.ts', '--cache']));
        // promtool comes with the stack: the chart's rendered alert rules are checked once it is up.
        await step('integration', async () => (await run('local stack up', node, [bin('tsx/dist/cli.mjs'), 'stack/src/cli.ts', 'up'])) || run('alert rules: promtool check rules (scripts/monitoring.ts check)', node, [bin('tsx/dist/cli.mjs'), 'scripts/monitoring.ts', 'check']));
      }
      if (!want(name) || code !== 0) continue;
      const r = await jest(`${name} tests`, project, outDir, [...extra]);
      passed += r.numPassedTests;
      failed += r.numFailedTests;
      code = r.code;
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  return code;
}

main().then((c) => process.exit(c), (err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
