/**
 * npm run build [-- [--if-changed] <action>...]: bundles each action's entries with @vercel/ncc into
 * actions/<name>/dist/<main|post>/index.js (ESM), and each helper program src/actions/<name>/bin/<tool>.ts
 * into actions/<name>/dist/<tool>/index.js. Bundles are build output, never committed on main (the release
 * script commits them on release commits only).
 *
 * Each action is built into a staging folder and swapped in whole, so a run that uses the bundles meanwhile
 * never sees half a dist/. dist/.inputs-digest records a digest of what the bundles are made from (the
 * entries' import closure, the lockfile, tsconfig, the build scripts, the action.yml); with --if-changed an
 * action whose digest is unchanged and whose bundles all exist is not rebuilt (ncc type-checks: 5-20 s per
 * entry here), which is what keeps the local deploy's warm run short.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, renameSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { discoverActions, root, type ActionEntry } from './actions.js';

const DIGEST_FILE = '.inputs-digest';

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The repository files an entry's bundle is made of: the entry and everything it imports relatively, transitively. */
export function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      const target = resolve(dirname(file), m[1]!);
      queue.push(existsSync(target) && !target.endsWith('.js') ? target : target.replace(/\.js$/, '.ts'));
    }
  }
  return [...seen].sort();
}

/**
 * Digest of every input of an action's bundles: the sources they are made of (the import closure of each
 * entry), the lockfile (node_modules), the compiler settings, the build scripts and the action.yml.
 */
export function inputsDigest(action: ActionEntry): string {
  const hash = createHash('sha256');
  const sources = new Set(action.entries.flatMap((e) => sourceClosure(e.source)));
  const fixed = ['package-lock.json', 'tsconfig.json', 'src/tsconfig.json', 'scripts/build.ts', 'scripts/actions.ts'].map((f) => join(root, f));
  for (const f of [...[...sources].sort(), ...fixed, join(action.dir, 'action.yml')]) {
    hash.update(`${relative(root, f)}\0`).update(existsSync(f) ? readFileSync(f) : '').update('\0');
  }
  return hash.digest('hex');
}

function upToDate(action: ActionEntry, digest: string): boolean {
  const file = join(action.dir, 'dist', DIGEST_FILE);
  return existsSync(file) && readFileSync(file, 'utf8').trim() === digest && action.entries.every((e) => existsSync(e.bundle));
}

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

async function main(args: string[]): Promise<void> {
  const ifChanged = args.includes('--if-changed');
  const names = args.filter((a) => !a.startsWith('--'));
  const actions = discoverActions().filter((a) => names.length === 0 || names.includes(a.name));
  if (names.length && actions.length !== names.length) throw new Error(`unknown action in: ${names.join(', ')}`);
  const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  for (const action of actions) {
    const digest = inputsDigest(action);
    if (ifChanged && upToDate(action, digest)) {
      console.log(`actions/${action.name}/dist is up to date (inputs unchanged)`);
      continue;
    }
    const dist = join(action.dir, 'dist');
    const staging = join(action.dir, '.dist-staging');
    rmSync(staging, { recursive: true, force: true });
    for (const entry of action.entries) {
      const out = join(staging, relative(dist, dirname(entry.bundle)));
      const t0 = performance.now();
      await run(process.execPath, [ncc, 'build', entry.source, '-o', out, '--license', 'licenses.txt', '--target', 'es2023', '--quiet']);
      console.log(`built actions/${action.name}/dist/${entry.tool ?? entry.kind} (${(dirBytes(out) / 1024).toFixed(0)} kB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    writeFileSync(join(staging, DIGEST_FILE), `${digest}\n`);
    rmSync(dist, { recursive: true, force: true });
    renameSync(staging, dist);
  }
  if (!actions.length) console.log('no actions to build');
}

// Run as a program (not imported); argv[1] may be a symlinked path (act's workspace links the clone).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(`build: ${err.message}`);
    process.exit(1);
  });
}
