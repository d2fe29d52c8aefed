import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { stack } from './stack.js';

export interface HelmRepo {
  url: string;
  close(): Promise<void>;
}

/**
 * A loopback Helm repository (index.yaml + packaged charts), built with the stack's real helm: `chart` is
 * packaged once per version given, and `helm repo index` writes the index with this server's URL.
 */
export async function helmRepo(chart: string, versions: string[]): Promise<HelmRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'helm-repo-'));
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = join(dir, path);
    if (!path || path.includes('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const helm = stack.helm().helm4;
  for (const v of versions) execFileSync(helm, ['package', chart, '--version', v, '--app-version', v, '--destination', dir], { stdio: 'ignore' });
  execFileSync(helm, ['repo', 'index', dir, '--url', url], { stdio: 'ignore' });
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
