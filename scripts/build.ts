/**
 * npm run build [-- [--if-changed] [--cache] <action>...]: bundles each action's entries with @vercel/ncc into
 * actions/<name>/dist/<main|post>/index.js (ESM), and each helper program src/actions/<name>/bin/<tool>.ts
 * into actions/<name>/dist/<tool>/index.js. Bundles are build output, never committed on main (the release
 * script commits them on release commits only). ncc's output is then finished here (finishBundle): heavy Node
 * built-ins loaded on first use, minified (dead code out: the Kubernetes client's chunk ~19 MB -> ~2 MB), chunks
 * compiled eagerly. Goals (bench/startup.ts): every dist/ at most 5 MB, start to the first input error at most
 * 1.5x a bare `node -e 0`.
 *
 * Each action is built into a staging folder and swapped in whole, so a run that uses the bundles meanwhile
 * never sees half a dist/. dist/.inputs-digest records a digest of what the bundles are made from (the
 * entries' import closure, the lockfile, tsconfig, the build scripts, the action.yml); with --if-changed an
 * action whose digest is unchanged and whose bundles all exist is not rebuilt (ncc type-checks: 5-20 s per
 * entry here), which is what keeps the local deploy's warm run short. With --cache (npm test uses it) a finished
 * dist/ is also kept outside the clone, under ~/.cache/oke-dapr-actions/bundles/<action>-<digest>-<node>, and a
 * fresh clone whose inputs have that digest takes it from there instead of building (80 s for all five here);
 * the newest CACHE_KEEP per action are kept.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { minify, parse, print, type Expression, type ModuleItem } from '@swc/core';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { discoverActions, root, type ActionEntry } from './actions.js';

const DIGEST_FILE = '.inputs-digest';
const CACHE_KEEP = 3;

/** Where --cache keeps finished dist/ folders: outside the clone, shared by every clone on the machine. */
export function bundleCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'oke-dapr-actions', 'bundles');
}

/** ncc's output may differ with the Node that ran it: the cache key names it beside the inputs' digest. */
function cacheEntry(action: ActionEntry, digest: string): string {
  return join(bundleCacheDir(), `${action.name}-${digest.slice(0, 32)}-node${process.versions.node}`);
}

/** A cached dist/ is used only when it is complete: its digest file (written last) matches and every bundle is there. */
export function fromCache(action: ActionEntry, digest: string, staging: string): boolean {
  const entry = cacheEntry(action, digest);
  const digestFile = join(entry, DIGEST_FILE);
  if (!existsSync(digestFile) || readFileSync(digestFile, 'utf8').trim() !== digest) return false;
  const dist = join(action.dir, 'dist');
  if (!action.entries.every((e) => existsSync(join(entry, relative(dist, e.bundle))))) return false;
  cpSync(entry, staging, { recursive: true });
  return true;
}

export function toCache(action: ActionEntry, digest: string, staging: string): void {
  const entry = cacheEntry(action, digest);
  const tmp = `${entry}.tmp-${process.pid}`;
  try {
    mkdirSync(bundleCacheDir(), { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    cpSync(staging, tmp, { recursive: true });
    rmSync(entry, { recursive: true, force: true });
    renameSync(tmp, entry);
    // Older builds of this action: the newest CACHE_KEEP stay.
    const mine = readdirSync(bundleCacheDir())
      .filter((n) => n.startsWith(`${action.name}-`) && !n.includes('.tmp-') && /^[0-9a-f]{32}-node/.test(n.slice(action.name.length + 1)))
      .map((n) => ({ n, t: statSync(join(bundleCacheDir(), n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const old of mine.slice(CACHE_KEEP)) rmSync(join(bundleCacheDir(), old.n), { recursive: true, force: true });
  } catch (err) {
    // A cache that cannot be written costs the next run a build, nothing else.
    rmSync(tmp, { recursive: true, force: true });
    console.log(`build: not cached (${(err as Error).message})`);
  }
}

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

/**
 * Node built-in modules that are objects (not callable: a Proxy of an object stands in for them) and that Node
 * does not load at its own start: requiring one evaluates dozens of internal modules (node:crypto ~6 ms,
 * node:zlib and node:http* with node:stream ~2-3 ms each, against ~22 ms for a bare `node -e 0`).
 */
const LAZY_BUILTINS = ['child_process', 'crypto', 'dns', 'http', 'http2', 'https', 'net', 'perf_hooks', 'querystring', 'readline', 'sqlite', 'stream/promises', 'stream/web', 'string_decoder', 'timers/promises', 'tls', 'tty', 'worker_threads', 'zlib'];

const EXTERNAL = /^module\.exports = __WEBPACK_EXTERNAL_createRequire\(import\.meta\.url\)\("((?:node:)?([a-z_/0-9]+))"\);$/gm;

const LAZY_HELPER = `
/** Added by scripts/build.ts: a Node built-in loaded on its first use rather than when a module importing it is evaluated. */
function __lazyBuiltin(id) {
  let real;
  const load = () => (real ??= __WEBPACK_EXTERNAL_createRequire(import.meta.url)(id));
  return new Proxy({}, {
    get: (_, key) => (key === '__esModule' ? undefined : load()[key]),
    set: (_, key, value) => Reflect.set(load(), key, value),
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), key);
      return d && { ...d, configurable: true };
    },
  });
}
`;

/**
 * ncc's bundles require every Node built-in an evaluated module imports at once (webpack evaluates a module's
 * imports before its body), so a bundle stopping at its first input error still loads node:crypto because the
 * key parser the input check uses imports it. Those requires of LAZY_BUILTINS become proxies that load the
 * module on the first property read: the bundle's code only ever reads them as `module.name`. No match (another
 * ncc output shape) leaves the bundle as it was, only slower to start.
 */
export function lazyBuiltins(code: string): string {
  let lazy = 0;
  const out = code.replace(EXTERNAL, (line, id: string, name: string) => {
    if (!LAZY_BUILTINS.includes(name)) return line;
    lazy++;
    return `module.exports = __lazyBuiltin(${JSON.stringify(id)});`;
  });
  return lazy ? `${out}${LAZY_HELPER}` : out;
}

/**
 * A chunk's module functions wrapped in parentheses, `{123:((e,t,r)=>{...})}`, as webpack writes them and the
 * minifier drops: V8 compiles a parenthesized function at once instead of pre-parsing it and parsing it again
 * when it is called. Every module of a chunk runs when the chunk is loaded, so the first way is cheaper: for
 * helm-deploy's chunks (2 MB, the Kubernetes client) ~20 ms less between the inputs and the first API call.
 * A file without the shape (`export const modules = {...}`) is left as it is.
 */
export async function eagerModules(code: string): Promise<string> {
  const ast = await parse(code, { syntax: 'ecmascript', target: 'es2022' });
  let wrapped = 0;
  for (const item of ast.body as ModuleItem[]) {
    if (item.type !== 'ExportDeclaration' || item.declaration.type !== 'VariableDeclaration') continue;
    for (const d of item.declaration.declarations) {
      if (d.id.type !== 'Identifier' || d.id.value !== 'modules' || d.init?.type !== 'ObjectExpression') continue;
      for (const p of d.init.properties) {
        if (p.type !== 'KeyValueProperty' || (p.value.type !== 'ArrowFunctionExpression' && p.value.type !== 'FunctionExpression')) continue;
        p.value = { type: 'ParenthesisExpression', span: p.value.span, expression: p.value } as Expression;
        wrapped++;
      }
    }
  }
  return wrapped ? (await print(ast, { minify: true })).code : code;
}

/**
 * Rewrites every script ncc wrote for one entry (the entry and its chunks), in place: lazyBuiltins, minified,
 * then (chunks only) eagerModules. ncc's own --minify is no use here: it passes only the entry file to terser,
 * with compress off, and copies the chunks as they are, so the chunk holding @kubernetes/client-node stayed at
 * ~19 MB (its generated API classes sit in a few large modules; webpack leaves the unused ones unreferenced but
 * in the code). swc's compressor drops what nothing references: ~19 MB -> ~2 MB. Class and function names are
 * kept (error names, `constructor.name` checks in dependencies). The entry stays lazily compiled: a run that
 * stops at an input error uses a small part of it.
 */
export async function finishBundle(dir: string): Promise<void> {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const path = join(dir, file);
    const { code } = await minify(lazyBuiltins(readFileSync(path, 'utf8')), {
      module: true,
      ecma: 2022,
      compress: { passes: 2 },
      mangle: { keep_classnames: true, keep_fnames: true },
      keep_classnames: true,
      keep_fnames: true,
      format: { comments: 'some' },
    });
    writeFileSync(path, file === 'index.js' ? code : await eagerModules(code));
  }
}

/** Swaps a finished staging folder in as dist/ whole. */
function publish(staging: string, dist: string): void {
  rmSync(dist, { recursive: true, force: true });
  renameSync(staging, dist);
  try {
    rmdirSync(dirname(staging));
  } catch {
    // another build's staging folder is still there
  }
}

async function main(args: string[]): Promise<void> {
  const ifChanged = args.includes('--if-changed');
  const cache = args.includes('--cache');
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
    // One staging folder per build process: two builds of one action at once (two helpers, a deploy and a test
    // run) once shared one, and one build's swap published the other's half-built folder (a dist/ without main/).
    const staging = join(action.dir, '.dist-staging', String(process.pid));
    rmSync(staging, { recursive: true, force: true });
    if (cache && fromCache(action, digest, staging)) {
      publish(staging, dist);
      console.log(`actions/${action.name}/dist from the build cache (${cacheEntry(action, digest)})`);
      continue;
    }
    for (const entry of action.entries) {
      const out = join(staging, relative(dist, dirname(entry.bundle)));
      const t0 = performance.now();
      await run(process.execPath, [ncc, 'build', entry.source, '-o', out, '--license', 'licenses.txt', '--target', 'es2023', '--quiet']);
      await finishBundle(out);
      console.log(`built actions/${action.name}/dist/${entry.tool ?? entry.kind} (${(dirBytes(out) / 1024).toFixed(0)} kB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    writeFileSync(join(staging, DIGEST_FILE), `${digest}\n`);
    if (cache) toCache(action, digest, staging);
    publish(staging, dist);
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
