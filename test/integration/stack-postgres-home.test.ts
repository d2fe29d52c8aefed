import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgres, relocatedHome, removeOrphanedClusters, RELOCATED_ROOT } from '../../stack/src/components/postgres.js';
import type { PidFileProcessManager } from '../../stack/src/proc.js';
import { createContext } from '../../stack/src/stack.js';
import type { StackContext } from '../../stack/src/types.js';

const exec = promisify(execFile);

/** A loopback port nothing listens on: this test's server must not meet the running stack's (15432). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `npm run local` / `npm test` as root from a clone under a 0700 home (/root): PostgreSQL refuses to run as
 * root and runs as the `postgres` OS user, which cannot search such a home. The component is started here on
 * its own, with its own state directory inside a 0700 directory and its own port, so the running stack is
 * not touched (the stack's ports are fixed: a second whole stack would collide).
 */
describe('stack: postgres as root with its state directory inside a 0700 home', () => {
  let home: string;
  let state: string;
  let ctx: StackContext;
  let relocated: string;
  const lines: string[] = [];
  const psql = async (sql: string) => {
    const s = await postgres.status(ctx);
    const d = s.details as { binDir: string; username: string; password: string; database: string };
    const { stdout } = await exec(join(d.binDir, 'psql'), ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(ctx.ports.postgres), '-U', d.username, '-d', d.database, '-c', sql], {
      env: { PATH: process.env.PATH, PGPASSWORD: d.password, PGSSLMODE: 'disable', PGPASSFILE: '/dev/null' },
    });
    return stdout.trim();
  };
  const serverUid = () => {
    const pid = (ctx.procs as PidFileProcessManager).pid('postgres')!;
    return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  };

  beforeAll(async () => {
    expect({ runningAs: process.getuid?.() }).toEqual({ runningAs: 0 });
    home = mkdtempSync(join(tmpdir(), 'oke-pg-home-'));
    chmodSync(home, 0o700);
    state = join(home, 'clone', '.stack');
    const base = createContext({ info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) }, { OKE_STACK_STATE: state, OKE_STACK_CACHE: join(home, 'cache') });
    ctx = { ...base, ports: { ...base.ports, postgres: await freePort() } };
    relocated = relocatedHome(join(state, 'postgres'));
  });

  afterAll(async () => {
    if (ctx) await ctx.procs.stop('postgres');
    if (home) rmSync(home, { recursive: true, force: true });
    if (relocated) rmSync(relocated, { recursive: true, force: true });
  });

  it('the postgres OS user really cannot reach the state directory', async () => {
    await expect(exec('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', 'test', '-x', state])).rejects.toMatchObject({ code: 1 });
    expect(statSync(home).mode & 0o777).toBe(0o700);
  });

  it('starts healthy: the cluster is relocated where that user can reach it, linked from the state directory', async () => {
    await postgres.install(ctx);
    await postgres.start(ctx);
    const s = await postgres.status(ctx);
    expect({ healthy: s.healthy, problem: s.problem }).toEqual({ healthy: true, problem: undefined });
    expect(relocated.startsWith(`${RELOCATED_ROOT}/`)).toBe(true);
    expect(s.details).toMatchObject({ dataDir: join(relocated, 'data') });
    expect(s.endpoints.socketDir).toBe(join(relocated, 'run'));
    expect(lstatSync(join(state, 'postgres', 'data')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(state, 'postgres', 'data'))).toBe(join(relocated, 'data'));
    expect(readFileSync(join(relocated, 'owner'), 'utf8')).toBe(`${join(state, 'postgres')}\n`);
    const { stdout: uid } = await exec('id', ['-u', 'postgres']);
    expect(serverUid()).toBe(Number(uid.trim()));
    expect(statSync(join(relocated, 'data')).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, 'postgres', 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(lines.join('\n')).toContain(`the postgres OS user cannot reach ${join(state, 'postgres')}`);
  }, 120_000);

  it('keeps its data across a restart through the link, and an up of a healthy server is a no-op', async () => {
    await psql('CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES (\'survives a restart\')');
    await ctx.procs.stop('postgres');
    expect(ctx.procs.isRunning('postgres')).toBe(false);
    await postgres.start(ctx);
    expect(await psql('SELECT v FROM kept')).toBe('survives a restart');
    const pid = (ctx.procs as PidFileProcessManager).pid('postgres');
    await postgres.start(ctx);
    expect((ctx.procs as PidFileProcessManager).pid('postgres')).toBe(pid);
  }, 120_000);

  it('its relocated cluster is removed once no state directory links to it, and not before', async () => {
    expect(removeOrphanedClusters()).not.toContain(relocated);
    await ctx.procs.stop('postgres');
    expect(removeOrphanedClusters()).not.toContain(relocated);
    rmSync(state, { recursive: true, force: true });
    expect(removeOrphanedClusters()).toContain(relocated);
    expect(existsSync(relocated)).toBe(false);
    // No empty directory stays behind (the stack's own cluster lives there too when its clone is under /root).
    expect(existsSync(RELOCATED_ROOT) ? readdirSync(RELOCATED_ROOT).length : 'gone').not.toBe(0);
  }, 60_000);
});
