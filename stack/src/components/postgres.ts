/**
 * PostgreSQL on 127.0.0.1:<ports.postgres>, from the distribution's server binaries
 * (Debian: /usr/lib/postgresql/<major>/bin, installed with `apt-get install -y postgresql` when missing).
 *
 * - One cluster in <stateDir>/postgres/data, created once with initdb. Host connections need a
 *   password (scram-sha-256); the unix socket (a private directory) trusts the `postgres` superuser
 *   and is only used to create the test role and database.
 * - As root, the server runs as the `postgres` OS user, which cannot reach a state directory inside a
 *   0700 home (a clone under /root). Then the cluster and its socket live in a directory of their own,
 *   /var/lib/oke-stack/postgres/<id> (id: a digest of <stateDir>/postgres), and <stateDir>/postgres/data is
 *   a symlink to its data directory. The link is the ownership record: a relocated cluster that no state
 *   directory links to any more (the clone or its .stack was deleted) is removed by the next start of any
 *   stack's postgres. Postgres keeps running as `postgres`, never with root's access to the home (a user
 *   namespace mapping it to root would give it that, and chmod o+x on the home would change this machine).
 * - Pods on the real node reach it on the node network's host address (nodeNetwork.hostIp, the stack's veth),
 *   where the server listens itself (no userspace forwarder: one carried every query of the app's pods and
 *   cost about 7% of the machine's CPU in `npm run bench -- app`). That address exists only while the node
 *   is up, so the server listens on it when it is there at start, and the node's start restarts a server
 *   that is not (listenOnNodeNetwork); a bound socket outlives the address, so a node's down and up again
 *   needs no restart. pg_hba.conf admits the node's address (pods reach the host masqueraded to it) with a
 *   password, as it does 127.0.0.1.
 * - Test role `stack` (CREATEDB) owning database `stack`; its generated password lives in
 *   <stateDir>/postgres/credentials.json (0600) and is reused on every start.
 * - The server runs as `postgres` in the foreground under the ProcessManager. Postgres refuses to run
 *   as root, so as root it is started through `setpriv`, which changes uid/gid and then execs
 *   (no fork: the recorded pid is the postmaster's). `runuser`/`su` fork and wait for a PAM session,
 *   so the recorded pid would be theirs and signals would reach postgres only through them.
 * - Stopping: SIGTERM is postgres's *smart* shutdown, which waits for open client sessions to end
 *   (its children call setsid, so a group signal reaches only the postmaster). With no clients it
 *   stops in ~0.1 s; with an idle client the ProcessManager's grace runs out and it SIGKILLs, and the
 *   next start does crash recovery (safe: WAL is fsynced; ~2 s). SIGINT (fast shutdown) avoids that.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { nodeNetwork } from '../config.js';
import { listening } from '../net.js';
import { isAlive } from '../proc.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';

const exec = promisify(execFile);
const PROCESS = 'postgres';
const USERNAME = 'stack';
const DATABASE = 'stack';
const SUPERUSER = 'postgres';
const OS_USER = 'postgres';
const DEBIAN_LIB = '/usr/lib/postgresql';
/** Clusters of state directories the server's OS user cannot reach (see the header). */
export const RELOCATED_ROOT = '/var/lib/oke-stack/postgres';
const OWNER_FILE = 'owner';

interface Credentials {
  username: string;
  password: string;
  database: string;
}

interface Paths {
  base: string;
  /** The cluster's data directory (the link's target when relocated). */
  data: string;
  socketDir: string;
  credentials: string;
  /** The relocated cluster's own directory, when <base>/data is a link to <relocated>/data. */
  relocated?: string;
}

/** Where the cluster of the state directory `base` goes when it is relocated. */
export function relocatedHome(base: string): string {
  return join(RELOCATED_ROOT, createHash('sha256').update(resolve(base)).digest('hex').slice(0, 16));
}

function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? resolve(dirname(path), readlinkSync(path)) : undefined;
  } catch {
    return undefined;
  }
}

function paths(ctx: StackContext): Paths {
  const base = join(ctx.stateDir, 'postgres');
  const credentials = join(base, 'credentials.json');
  const target = linkTarget(join(base, 'data'));
  if (target) {
    const relocated = dirname(target);
    return { base, data: target, socketDir: join(relocated, 'run'), credentials, relocated };
  }
  let socketDir = join(base, 'run');
  // A unix socket path must fit in sun_path (108 bytes): fall back to a short directory in /tmp.
  if (`${socketDir}/.s.PGSQL.${ctx.ports.postgres}.lock`.length > 100) {
    socketDir = join(tmpdir(), `oke-stack-pg-${createHash('sha256').update(base).digest('hex').slice(0, 10)}`);
  }
  return { base, data: join(base, 'data'), socketDir, credentials };
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The server's bin directory: the newest /usr/lib/postgresql/<major>/bin, else `pg_config --bindir`. */
async function findBinDir(): Promise<string | undefined> {
  const complete = (dir: string): boolean => ['postgres', 'initdb', 'pg_isready', 'psql'].every((b) => existsSync(join(dir, b)));
  if (existsSync(DEBIAN_LIB)) {
    const majors = readdirSync(DEBIAN_LIB)
      .filter((v) => /^\d+$/.test(v) && complete(join(DEBIAN_LIB, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(DEBIAN_LIB, majors[0], 'bin');
  }
  try {
    const dir = (await exec('pg_config', ['--bindir'])).stdout.trim();
    return complete(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

async function requireBinDir(): Promise<string> {
  const dir = await findBinDir();
  if (!dir) throw new Error('postgres: server binaries not found; run the stack install (apt-get install -y postgresql)');
  return dir;
}

async function aptInstall(ctx: StackContext): Promise<void> {
  if (!isRoot()) {
    throw new Error('postgres: server binaries (postgres, initdb) not found. Install them: sudo apt-get install -y postgresql');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => exec('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, maxBuffer: 64 << 20 });
  ctx.log.info('postgres: installing the server with apt-get (postgresql)');
  try {
    await install();
  } catch {
    await exec('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
    await install();
  }
}

/** Command and arguments that run `command` as the `postgres` OS user when we are root. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  if (!isRoot()) return [command, args];
  return ['setpriv', [`--reuid=${OS_USER}`, `--regid=${OS_USER}`, '--init-groups', '--', command, ...args]];
}

async function ensureOsUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({
    uid: Number((await exec('id', ['-u', OS_USER])).stdout.trim()),
    gid: Number((await exec('id', ['-g', OS_USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await exec('useradd', ['--system', '--user-group', '--home-dir', '/var/lib/postgresql', '--shell', '/usr/sbin/nologin', OS_USER]);
    return ids();
  }
}

/** Makes `dir` (created if missing) belong to the server's OS user, mode 0700. */
async function ownedDir(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (isRoot()) {
    const { uid, gid } = await ensureOsUser();
    chownSync(dir, uid, gid);
  }
}

function credentials(p: Paths): Credentials {
  if (existsSync(p.credentials)) {
    const c = JSON.parse(readFileSync(p.credentials, 'utf8')) as Credentials;
    if (!/^[0-9a-f]{32,}$/.test(c.password)) throw new Error(`postgres: ${p.credentials} holds a malformed password; delete it to mint a new one`);
    return c;
  }
  const c = { username: USERNAME, password: randomBytes(18).toString('hex'), database: DATABASE };
  mkdirSync(p.base, { recursive: true });
  writeFileSync(p.credentials, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  return c;
}

/** As root, the server runs as `postgres`: can that user reach `dir` (search every directory on the way)? */
async function reachableByServer(dir: string): Promise<boolean> {
  if (!isRoot()) return true;
  await ensureOsUser();
  const [cmd, args] = asServerUser('test', ['-x', dir]);
  try {
    await exec(cmd, args);
    return true;
  } catch {
    return false;
  }
}

/** The pid in a data directory's postmaster.pid when that process is alive. */
function livePostmaster(data: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes relocated clusters that no state directory owns any more: their owner's <base> is gone, or its
 * `data` is no longer a link to them. A cluster whose owner exists without a link yet is being created;
 * one with a live postmaster is left alone. Returns the directories removed.
 */
export function removeOrphanedClusters(log?: StackContext['log']): string[] {
  if (!existsSync(RELOCATED_ROOT)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(RELOCATED_ROOT)) {
    const home = join(RELOCATED_ROOT, name);
    if (!/^[0-9a-f]{16}$/.test(name) || !existsSync(join(home, OWNER_FILE))) continue;
    const owner = ownerOf(home);
    const ownerLink = join(owner, 'data');
    const owned = existsSync(owner) && (linkTarget(ownerLink) === join(home, 'data') || !lexists(ownerLink));
    if (owned) continue;
    const pid = livePostmaster(join(home, 'data'));
    if (pid) {
      log?.warn(`postgres: ${home} belongs to no state directory (was ${owner}) but its server (pid ${pid}) still runs; left in place`);
      continue;
    }
    rmSync(home, { recursive: true, force: true });
    removed.push(home);
    log?.info(`postgres: removed ${home}, a relocated cluster whose state directory ${owner} no longer links to it`);
  }
  // Leave no empty directories behind (ENOTEMPTY: another cluster still lives there).
  for (const dir of [RELOCATED_ROOT, dirname(RELOCATED_ROOT)]) {
    try {
      rmdirSync(dir);
    } catch {
      break;
    }
  }
  return removed;
}

function ownerOf(home: string): string {
  try {
    return readFileSync(join(home, OWNER_FILE), 'utf8').trim();
  } catch {
    return '';
  }
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the cluster. Inside <base> when the server's OS user can reach it; else in relocatedHome(base)
 * (0700, owned by that user, with an owner file naming <base>), then links <base>/data to it. The link comes
 * last, so it always points at a complete cluster.
 */
async function initdb(ctx: StackContext, bin: string, p: Paths): Promise<Paths> {
  mkdirSync(p.base, { recursive: true, mode: 0o755 });
  let target = p;
  if (!(await reachableByServer(p.base))) {
    const relocated = relocatedHome(p.base);
    ctx.log.info(`postgres: the ${OS_USER} OS user cannot reach ${p.base} (a 0700 home on the way); the cluster goes to ${relocated}, linked from ${join(p.base, 'data')}`);
    rmSync(join(p.base, 'data'), { recursive: true, force: true });
    rmSync(relocated, { recursive: true, force: true });
    mkdirSync(RELOCATED_ROOT, { recursive: true, mode: 0o755 });
    await ownedDir(relocated);
    writeFileSync(join(relocated, OWNER_FILE), `${p.base}\n`, { mode: 0o644 });
    target = { ...p, data: join(relocated, 'data'), socketDir: join(relocated, 'run'), relocated };
    if (!(await reachableByServer(relocated))) {
      throw new Error(`postgres: the ${OS_USER} OS user cannot reach ${relocated} either; make ${RELOCATED_ROOT} and its parents searchable (chmod o+x)`);
    }
  }
  const staging = `${target.data}.initdb`;
  rmSync(staging, { recursive: true, force: true });
  await ownedDir(staging);
  const [cmd, args] = asServerUser(join(bin, 'initdb'), [
    '-D', staging, '-U', SUPERUSER, '--auth-local=trust', '--auth-host=scram-sha-256',
    '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions',
  ]);
  try {
    await exec(cmd, args, { cwd: dirname(target.data), maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`postgres: initdb failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
  renameSync(staging, target.data);
  if (target.relocated) {
    const link = join(p.base, 'data');
    symlinkSync(target.data, `${link}.new`);
    renameSync(`${link}.new`, link);
  }
  ctx.log.info(`postgres: initialised ${target.data}`);
  return target;
}

/** Whether the node network's host address (the stack's veth) is on this machine now. */
function nodeNetworkUp(): boolean {
  return Object.values(networkInterfaces()).some((addrs) => addrs?.some((a) => a.address === nodeNetwork.hostIp));
}

const HBA_MARK = '# oke-stack: pods of the real node (masqueraded to the node address)';

/** Adds the node's address to pg_hba.conf once (password logins, as from 127.0.0.1). */
function admitNode(p: Paths): void {
  const file = join(p.data, 'pg_hba.conf');
  const text = readFileSync(file, 'utf8');
  if (text.includes(HBA_MARK)) return;
  writeFileSync(file, `${text.replace(/\n*$/, '\n')}${HBA_MARK}\nhost    all             all             ${nodeNetwork.nodeIp}/32           scram-sha-256\n`);
}

function serverArgs(ctx: StackContext, p: Paths): string[] {
  return [
    '-D', p.data,
    '-p', String(ctx.ports.postgres),
    '-c', `listen_addresses=${nodeNetworkUp() ? `127.0.0.1,${nodeNetwork.hostIp}` : '127.0.0.1'}`,
    '-c', `unix_socket_directories=${p.socketDir}`,
    '-c', 'logging_collector=off',
  ];
}

/** Creates (or updates) the test role and database over the private socket, as the superuser. */
async function bootstrap(bin: string, p: Paths, ctx: StackContext, c: Credentials): Promise<void> {
  const sql = [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${c.username}') THEN CREATE ROLE ${c.username}; END IF; END $$;`,
    `ALTER ROLE ${c.username} WITH LOGIN CREATEDB PASSWORD '${c.password}';`,
    `SELECT 'CREATE DATABASE ${c.database} OWNER ${c.username}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${c.database}')\\gexec`,
    '',
  ].join('\n');
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', p.socketDir, '-p', String(ctx.ports.postgres), '-U', SUPERUSER, '-d', 'postgres', '-f', '-'];
  await new Promise<void>((resolve, reject) => {
    const child = execFile(join(bin, 'psql'), args, { env: cleanEnv() }, (err, _out, stderr) =>
      err ? reject(new Error(`postgres: creating role/database failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
    child.stdin?.end(sql);
  });
}

/** The environment for client tools, without the caller's PG* settings. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return { ...env, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '3', PGPASSFILE: '/dev/null', ...extra };
}

/** `SHOW server_version` over TCP with the test role's password. */
async function query(bin: string, ctx: StackContext, c: Credentials, sql: string): Promise<string> {
  const args = ['-X', '-At', '-h', '127.0.0.1', '-p', String(ctx.ports.postgres), '-U', c.username, '-d', c.database, '-c', sql];
  const { stdout } = await exec(join(bin, 'psql'), args, { env: cleanEnv({ PGPASSWORD: c.password }), timeout: 10_000 });
  return stdout.trim();
}

function logTail(ctx: StackContext, lines = 15): string {
  const file = ctx.procs.logFile(PROCESS);
  if (!existsSync(file)) return '';
  return `\n--- last lines of ${file} ---\n${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`;
}

async function waitReady(bin: string, ctx: StackContext, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!ctx.procs.isRunning(PROCESS)) throw new Error(`postgres: the server exited during start-up${logTail(ctx)}`);
    try {
      await exec(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(ctx.ports.postgres), '-t', '1'], { env: cleanEnv() });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`postgres: not accepting connections after ${timeoutMs / 1000} s${logTail(ctx)}`);
      await sleep(100);
    }
  }
}


/**
 * For the node's start, once its veth is up: a running server that does not listen on the node network's host
 * address yet (it started before the node) is restarted so that it does (fast shutdown: ~1 s, at `stack up`
 * before anything uses it). A stopped server is left alone: its own start listens there.
 */
export async function listenOnNodeNetwork(ctx: StackContext): Promise<void> {
  if (!ctx.procs.isRunning(PROCESS) || (await listening(nodeNetwork.hostIp, ctx.ports.postgres))) return;
  ctx.log.info(`postgres: restarting to listen on ${nodeNetwork.hostIp}:${ctx.ports.postgres} too (the node network is up now)`);
  await ctx.procs.stop(PROCESS, 10_000);
  await postgres.start(ctx);
  if (!(await listening(nodeNetwork.hostIp, ctx.ports.postgres))) {
    throw new Error(`postgres: restarted but not listening on ${nodeNetwork.hostIp}:${ctx.ports.postgres}${logTail(ctx)}`);
  }
}

export const postgres: Component = {
  name: 'postgres',

  async install(ctx) {
    if (!(await findBinDir())) await aptInstall(ctx);
    const bin = await requireBinDir();
    ctx.log.info(`postgres: ${(await exec(join(bin, 'postgres'), ['--version'])).stdout.trim()} in ${bin}`);
  },

  async start(ctx) {
    const bin = await requireBinDir();
    let p = paths(ctx);
    const c = credentials(p);
    if (isRoot()) removeOrphanedClusters(ctx.log);
    if (!ctx.procs.isRunning(PROCESS)) {
      if (!existsSync(join(p.data, 'PG_VERSION'))) p = await initdb(ctx, bin, p);
      // A state directory moved elsewhere takes its relocated cluster along (the owner file names it).
      if (p.relocated && ownerOf(p.relocated) !== p.base) writeFileSync(join(p.relocated, OWNER_FILE), `${p.base}\n`, { mode: 0o644 });
      const major = (await exec(join(bin, 'postgres'), ['--version'])).stdout.match(/\) (\d+)/)?.[1];
      const dataMajor = readFileSync(join(p.data, 'PG_VERSION'), 'utf8').trim();
      if (major !== dataMajor) {
        throw new Error(`postgres: ${p.data} was made by PostgreSQL ${dataMajor} but the server is ${major}; delete the directory to start afresh`);
      }
      await ownedDir(p.socketDir);
      admitNode(p);
      const [cmd, args] = asServerUser(join(bin, 'postgres'), serverArgs(ctx, p));
      await ctx.procs.spawn(PROCESS, cmd, args, { cwd: dirname(p.data), env: { ...process.env, LC_ALL: 'C' }, stopSignal: 'SIGINT' });
    }
    await waitReady(bin, ctx);
    await bootstrap(bin, p, ctx, c);
    const s = await this.status(ctx);
    if (!s.healthy) throw new Error(`postgres: started but unhealthy: ${s.problem}`);
  },

  async status(ctx): Promise<ComponentStatus> {
    const p = paths(ctx);
    const host = `127.0.0.1:${ctx.ports.postgres}`;
    if (!existsSync(p.credentials)) return { healthy: false, endpoints: { host }, problem: 'never started (no credentials yet)' };
    const c = credentials(p);
    const endpoints = {
      url: `postgres://${c.username}:${c.password}@${host}/${c.database}`,
      host,
      socketDir: p.socketDir,
      /** For pods on the real node: the server listens on the node network's host address too (while the node is up). */
      urlFromPods: `postgres://${c.username}:${c.password}@${nodeNetwork.hostIp}:${ctx.ports.postgres}/${c.database}`,
    };
    const details = { username: c.username, password: c.password, database: c.database, dataDir: p.data };
    if (!ctx.procs.isRunning(PROCESS)) return { healthy: false, endpoints, details, problem: 'the postgres process is not running' };
    try {
      const bin = await requireBinDir();
      const version = await query(bin, ctx, c, 'SHOW server_version');
      return { healthy: true, endpoints, details: { version, ...details, binDir: bin } };
    } catch (err) {
      const e = err as Error & { stderr?: string };
      return { healthy: false, endpoints, details, problem: `password login as ${c.username} failed: ${e.stderr?.trim() || e.message}` };
    }
  },

  processes() {
    return [PROCESS];
  },
};

