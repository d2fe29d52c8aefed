import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KafkaTail } from '../../support/kafka-tail.js';
import { startTodo, type Todo } from './todo.js';

/**
 * The image cannot be built here (no container engine), so this runs what its build stage runs: the
 * Dockerfile's own ncc line, read from app/Dockerfile, then the bundle as the image runs it (node with
 * the CMD's flags, UI_DIR, no node_modules beside it) as both roles behind the real daprd.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const dockerfile = readFileSync(join(root, 'app', 'Dockerfile'), 'utf8');

describe('the image\'s bundle (app/Dockerfile build step) through real Dapr', () => {
  const out = mkdtempSync(join(tmpdir(), 'todo-image-'));
  let todo: Todo;

  beforeAll(async () => {
    const line = dockerfile.split('\n').find((l) => l.startsWith('RUN node node_modules/@vercel/ncc/'));
    if (!line) throw new Error('app/Dockerfile has no `RUN node node_modules/@vercel/ncc/... build` line');
    const args = line.replace(/^RUN node /, '').split(/\s+/).map((a) => (a === '/out/dist' ? join(out, 'dist') : a));
    execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe', timeout: 240_000 });
    cpSync(join(root, 'app', 'public'), join(out, 'public'), { recursive: true });
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const appArgs = cmd.map((a) => (a === 'dist/index.js' ? join(out, 'dist', 'index.js') : a));
    todo = await startTodo('todo-it-image', { appArgs, env: { NODE_ENV: 'production', UI_DIR: join(out, 'public') } });
  }, 300_000);

  afterAll(async () => {
    await todo?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('is one self-contained ESM file (no node_modules at run time)', () => {
    expect(existsSync(join(out, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(out, 'dist', 'node_modules'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'dist', 'package.json'), 'utf8'))).toEqual({ type: 'module' });
  });

  it('serves the UI and the API, and publishes through its daprd', async () => {
    expect((await fetch(todo.url)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    const events = await KafkaTail.open('task-events');
    try {
      const res = await todo.call('POST', '/api/tasks', { token: todo.token(`img-${randomUUID().slice(0, 6)}`), body: { title: 'from the bundle' } });
      expect(res.status).toBe(201);
      const ev = await events.waitFor((m) => m.json?.subject === res.body.id, 'the bundle\'s task.created');
      expect(ev.json).toMatchObject({ type: 'task.created', source: 'todo-it-image-api' });
    } finally {
      await events.close();
    }
  });

  it('writes only JSON lines (no warnings from dependencies)', () => {
    const lines = readFileSync(todo.info.api.logFile, 'utf8').trim().split('\n').slice(-20);
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
  });
});
