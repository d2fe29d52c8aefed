/**
 * The web UI: three static files from the ui directory (app/public), read once at start-up, served with
 * a strict Content-Security-Policy (same-origin scripts and calls only, no inline code).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response, Router } from './http/router.js';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function addUiRoutes(router: Router, uiDir: string): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const content = readFileSync(join(uiDir, file));
    const response: Response = { status: 200, raw: content, contentType: type, headers: { ...SECURITY_HEADERS, 'cache-control': 'no-cache' } };
    router.get(path, () => response);
  }
}
