import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sourceClosure } from '../../../scripts/build.js';

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
