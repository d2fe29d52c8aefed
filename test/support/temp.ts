import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Directories under the system temp dir that live as long as the test file that made them: removed in its
 * afterAll (registered when a test file first imports this module, as hooks must be). Tool caches of Helm
 * downloads are ~120 MB each; left behind, every test run added them to /tmp.
 */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
