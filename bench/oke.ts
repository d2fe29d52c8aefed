/**
 * oke: does a kubeconfig written by the oke-login bundle authenticate to a real kube-apiserver through
 * the OKE token webhook, is a wrong key refused, and how long does the credential helper take to sign
 * one token when warm (goal < 20 ms). Needs `npm run build -- oke-login` and the local stack (kube, helm).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createContext, statusOf } from '../stack/src/stack.js';
import { credentialFor, readHelperConfig } from '../src/oci/credential-helper.js';
import { runActionBundle } from '../test/support/action-harness.js';
import { createWorld, helperCommand, runCommand, USER } from '../test/support/oke-world.js';
import { stack } from '../test/support/stack.js';
import type { BenchOutcome } from './run.js';

const GOAL_MS = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchOutcome> {
  const ctx = createContext({ info: () => undefined, warn: (m) => console.error(m) });
  const status = await statusOf(ctx);
  for (const name of ['kube', 'helm']) if (!status.components[name]?.healthy) throw new Error(`stack component ${name} is not healthy: npm run stack -- up`);
  writeFileSync(join(ctx.stateDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });

  const world = await createWorld();
  const scratch = mkdtempSync(join(tmpdir(), 'bench-oke-'));
  try {
    const login = await runActionBundle('oke-login', 'main', world.inputs, { env: world.env });
    if (login.code !== 0) throw new Error(`oke-login failed: ${login.stdout.slice(-800)}`);
    const kubeconfig = login.outputs.kubeconfig!;
    const get = await runCommand(stack.helm().kubectl, ['get', 'namespaces', '-o', 'name'], { KUBECONFIG: kubeconfig });
    const kubeAuthOk = get.code === 0 && get.stdout.includes('namespace/default') && world.auth.webhook.reviews.some((r) => r.authenticated && r.username === USER);

    // A kubeconfig whose helper signs with a key OCI does not have for this user.
    const config = JSON.parse(readFileSync(join(dirname(kubeconfig), 'credentials.json'), 'utf8')) as Record<string, unknown>;
    const otherPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(scratch, 'credentials.json'), JSON.stringify({ ...config, privateKeyPem: otherPem, cacheFile: join(scratch, 'cache.json') }), { mode: 0o600 });
    writeFileSync(join(scratch, 'kubeconfig'), readFileSync(kubeconfig, 'utf8').replace(join(dirname(kubeconfig), 'credentials.json'), join(scratch, 'credentials.json')), { mode: 0o600 });
    const bad = await runCommand(stack.helm().kubectl, ['get', 'namespaces'], { KUBECONFIG: join(scratch, 'kubeconfig') });
    const badKeyRejected = bad.code !== 0 && /Unauthorized/.test(bad.stderr) && world.auth.webhook.reviews.at(-1)?.authenticated === false;

    // Warm signing time: the helper's work without the cache (read config, parse key, sign, write cache).
    const helperConfig = readHelperConfig(join(dirname(kubeconfig), 'credentials.json'));
    const uncached = { ...helperConfig, cacheFile: join(scratch, 'warm-cache.json') };
    const times: number[] = [];
    for (let i = 0; i < 220; i++) {
      rmSync(uncached.cacheFile, { force: true });
      const t0 = performance.now();
      credentialFor(uncached);
      if (i >= 20) times.push(performance.now() - t0);
    }
    const tokenMs = Math.round(median(times) * 100) / 100;
    // And the whole helper process as kubectl runs it (cache hit), for context.
    const exec = helperCommand(kubeconfig);
    const proc: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await runCommand(exec[0], [exec[1], '--config', exec[2]], {});
      proc.push(performance.now() - t0);
    }
    await runActionBundle('oke-login', 'post', {}, { state: login.state, runnerTemp: login.runnerTemp });
    const result = { kube_auth_ok: kubeAuthOk, bad_key_rejected: badKeyRejected, token_ms: tokenMs, helper_process_ms: Math.round(median(proc)) };
    const ok = kubeAuthOk && badKeyRejected && tokenMs < GOAL_MS;
    return { result, summary: `kube auth ${kubeAuthOk ? 'ok' : 'FAILED'}, bad key ${badKeyRejected ? 'rejected' : 'NOT rejected'}, token ${tokenMs} ms warm (helper process ${result.helper_process_ms} ms)`, ok };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await world.close();
  }
}
