import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ActionEntry } from '../../../scripts/actions.js';
import { bundleCacheDir, fromCache, sourceClosure, toCache } from '../../../scripts/build.js';

/** `npm run build -- --if-changed` rebuilds an action when a file of its entries' import closure changes. */
describe('sourceClosure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'closure-'));
  const files: Record<string, string> = {
    'src/actions/x/main.ts': "import { a } from '../../core/a.js';\nimport type { T } from './types.js';\nexport { b } from './b.js';\nconst heavy = await import('../../kube/heavy.js');\n",
    'src/actions/x/types.ts': 'export type T = string;\n',
    'src/actions/x/b.ts': "import './side-effect.js';\nexport const b = 1;\n",
    'src/actions/x/side-effect.ts': "import data from '../../data/table.json' with { type: 'json' };\n",
    'src/data/table.json': '{}\n',
    'src/core/a.ts': "import { readFileSync } from 'node:fs';\nimport { x } from '@kubernetes/client-node';\nexport const a = 1;\n",
    'src/kube/heavy.ts': "import { a } from '../core/a.js';\n",
    'src/kafka/unrelated.ts': "import { a } from '../core/a.js';\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }

  it('follows static, type-only, re-export, side-effect, JSON and dynamic relative imports, and nothing else', () => {
    const closure = sourceClosure(join(dir, 'src/actions/x/main.ts')).map((f) => f.slice(dir.length + 1));
    expect(closure).toEqual(['src/actions/x/b.ts', 'src/actions/x/main.ts', 'src/actions/x/side-effect.ts', 'src/actions/x/types.ts', 'src/core/a.ts', 'src/data/table.json', 'src/kube/heavy.ts']);
  });
});

/** `npm run build -- --cache` (npm test): a finished dist/ kept outside the clone, keyed by its inputs' digest. */
describe('the bundle cache', () => {
  const home = mkdtempSync(join(tmpdir(), 'bundle-cache-'));
  const before = process.env.XDG_CACHE_HOME;
  beforeAll(() => (process.env.XDG_CACHE_HOME = join(home, 'cache')));
  afterAll(() => (before === undefined ? delete process.env.XDG_CACHE_HOME : (process.env.XDG_CACHE_HOME = before)));

  const action = (name: string): ActionEntry => {
    const dir = join(home, 'actions', name);
    return { name, dir, required: [], entries: [{ kind: 'main', source: join(dir, 'main.ts'), bundle: join(dir, 'dist', 'main', 'index.js') }, { kind: 'post', source: join(dir, 'post.ts'), bundle: join(dir, 'dist', 'post', 'index.js') }] };
  };
  const staged = (text: string): string => {
    const staging = mkdtempSync(join(home, 'staging-'));
    for (const kind of ['main', 'post']) {
      mkdirSync(join(staging, kind), { recursive: true });
      writeFileSync(join(staging, kind, 'index.js'), `${text} ${kind}`);
    }
    writeFileSync(join(staging, '.inputs-digest'), `${'a'.repeat(64)}\n`);
    return staging;
  };
  const digest = 'a'.repeat(64);

  it('gives back what was stored for the same digest, and nothing for another digest', () => {
    const a = action('one');
    toCache(a, digest, staged('built'));
    const into = join(home, 'restored');
    expect(fromCache(a, digest, into)).toBe(true);
    expect(readFileSync(join(into, 'main', 'index.js'), 'utf8')).toBe('built main');
    expect(readFileSync(join(into, 'post', 'index.js'), 'utf8')).toBe('built post');
    expect(fromCache(a, 'b'.repeat(64), join(home, 'other'))).toBe(false);
    expect(existsSync(join(home, 'other'))).toBe(false);
    expect(fromCache(action('two'), digest, join(home, 'two'))).toBe(false);
  });

  it('refuses an entry that lacks a bundle or whose digest file does not match', () => {
    const a = action('three');
    toCache(a, digest, staged('built'));
    const entry = readdirSync(bundleCacheDir()).find((n) => n.startsWith('three-'))!;
    rmSync(join(bundleCacheDir(), entry, 'post'), { recursive: true });
    expect(fromCache(a, digest, join(home, 'r3'))).toBe(false);
    toCache(a, digest, staged('built'));
    writeFileSync(join(bundleCacheDir(), entry, '.inputs-digest'), 'c'.repeat(64));
    expect(fromCache(a, digest, join(home, 'r4'))).toBe(false);
  });

  it('keeps the newest three builds of an action', () => {
    const a = action('four');
    for (const d of ['1', '2', '3', '4', '5']) {
      const s = staged(d);
      writeFileSync(join(s, '.inputs-digest'), d.repeat(64));
      toCache(a, d.repeat(64), s);
    }
    const kept = readdirSync(bundleCacheDir()).filter((n) => n.startsWith('four-'));
    expect(kept).toHaveLength(3);
    expect(fromCache(a, '5'.repeat(64), join(home, 'r5'))).toBe(true);
    expect(fromCache(a, '1'.repeat(64), join(home, 'r1'))).toBe(false);
  });
});
