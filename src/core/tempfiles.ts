import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Private files (kubeconfigs, keys, secret values) live in a 0700 directory under $RUNNER_TEMP, each
 * file 0600. The action records the directory in its state; its post step removes it.
 */
export class PrivateDir {
  readonly path: string;

  constructor(prefix: string, base: string = process.env.RUNNER_TEMP || tmpdir()) {
    this.path = mkdtempSync(join(base, `${prefix}-`));
    chmodSync(this.path, 0o700);
  }

  /** Writes content to a 0600 file in the private directory and returns its path. */
  write(name: string, content: string | Uint8Array): string {
    if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') throw new Error(`bug: private file name "${name}" must be a plain file name`);
    const file = join(this.path, name);
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Removes paths recorded by a main step; returns those that existed. Never throws for a missing path. */
export function removeAll(paths: readonly string[]): string[] {
  const removed: string[] = [];
  for (const p of paths) {
    try {
      rmSync(p, { recursive: true, force: false });
      removed.push(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
