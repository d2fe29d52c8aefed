import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daprVersionFromGoMod } from '../../stack/src/components/dapr.js';
import { repoRoot } from '../../stack/src/config.js';
import { DAPR_VERSION } from '../../src/versions.js';

describe('src/versions.ts', () => {
  it('DAPR_VERSION is the Dapr that stack/dapr/go.mod builds (the local stack runs what the actions install)', () => {
    const goMod = readFileSync(join(repoRoot, 'stack', 'dapr', 'go.mod'), 'utf8');
    expect(daprVersionFromGoMod(goMod)).toBe(DAPR_VERSION);
  });

  it('stack/dapr/go.prev.mod builds the previous Dapr minor (the upgrade test starts from it)', () => {
    const prev = daprVersionFromGoMod(readFileSync(join(repoRoot, 'stack', 'dapr', 'go.prev.mod'), 'utf8'));
    const [maj, min] = DAPR_VERSION.split('.').map(Number);
    expect(prev).toMatch(new RegExp(`^${maj}\\.${min! - 1}\\.\\d+$`));
  });

  it('DAPR_VERSION is a plain X.Y.Z release (chart and image tags have no leading v)', () => {
    expect(DAPR_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('daprVersionFromGoMod', () => {
  it.each([
    ['require github.com/dapr/dapr v1.18.2\n', '1.18.2'],
    ['require (\n\tgithub.com/dapr/components-contrib v1.18.3\n\tgithub.com/dapr/dapr v1.18.2\n)\n', '1.18.2'],
    ['require (\n\tgithub.com/dapr/dapr v1.19.0-rc.1 // indirect\n)\n', '1.19.0-rc.1'],
    ['require (\n\tgithub.com/dapr/dapr-extra v1.0.0\n\tgithub.com/dapr/dapr v1.17.5\n)\n', '1.17.5'],
  ])('%#', (goMod, expected) => expect(daprVersionFromGoMod(goMod)).toBe(expected));

  it.each([['module x\n'], ['// github.com/dapr/dapr v1.18.2 in a comment\n'], ['require github.com/dapr/dapr-extra v1.0.0\n']])(
    'refuses %j',
    (goMod) => expect(() => daprVersionFromGoMod(goMod)).toThrow(/no `github.com\/dapr\/dapr vX.Y.Z` require/),
  );
});
