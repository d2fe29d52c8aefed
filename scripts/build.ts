/**
 * npm run build [-- <action>...]: bundles each action's entries with @vercel/ncc into
 * actions/<name>/dist/<main|post>/index.js (ESM), and each helper program src/actions/<name>/bin/<tool>.ts
 * into actions/<name>/dist/<tool>/index.js. Bundles are build output, never committed on main.
 */
import { spawn } from 'node:child_process';
import { rmSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { discoverActions, root } from './actions.js';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

async function main(names: string[]): Promise<void> {
  const actions = discoverActions().filter((a) => names.length === 0 || names.includes(a.name));
  if (names.length && actions.length !== names.length) throw new Error(`unknown action in: ${names.join(', ')}`);
  const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  for (const action of actions) {
    rmSync(join(action.dir, 'dist'), { recursive: true, force: true });
    for (const entry of action.entries) {
      const out = dirname(entry.bundle);
      const t0 = performance.now();
      await run(process.execPath, [ncc, 'build', entry.source, '-o', out, '--license', 'licenses.txt', '--target', 'es2023', '--quiet']);
      console.log(`built actions/${action.name}/dist/${entry.tool ?? entry.kind} (${(dirBytes(out) / 1024).toFixed(0)} kB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  if (!actions.length) console.log('no actions to build');
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`build: ${err.message}`);
  process.exit(1);
});
