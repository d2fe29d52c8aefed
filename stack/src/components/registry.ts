/**
 * A real OCI registry on this machine that treats `apps/` as GHCR treats a private package: stack-registry
 * (stack/node/cmd/registry: go-containerregistry's registry behind an HTTP Basic gate, built from the Go
 * module proxy by stack/node/build.sh). Manifests live in memory, blobs on disk in <stateDir>/registry
 * (private repositories' blobs apart, in <stateDir>/registry/private).
 * - Repositories under PRIVATE_PREFIX (`apps/todo`, ...) need the credentials of the user `oke-stack` for
 *   every pull and push; without them, or with wrong ones, 401 and `WWW-Authenticate: Basic`. So a pod
 *   pulling an app image needs a real image pull secret, as on OKE with GHCR.
 * - Every other repository (the stack's own images under oke-stack/, Dapr's) stays open for anonymous pull
 *   and push, and /v2/ answers anyone: nothing else in the stack needs the credentials.
 * The password is minted once per state dir into <stateDir>/registry/credentials (`oke-stack:<hex>`, 0600)
 * and reported in the status' details, as the Kafka and PostgreSQL test users' passwords are.
 * It listens on 127.0.0.1:<ports.registry>; the node pulls from it through the node component's forwarder on
 * hostIp. Images reach it by a standard push (crane push); pods name them `localhost:<port>/<repo>@sha256:...`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './kube-client.js';
import { installNodeTools, nodeTool } from './node-tools.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';

const PROCESS = 'registry';
/** Repositories under this prefix are private (the server's -private-prefix). */
export const PRIVATE_PREFIX = 'apps/';
const USERNAME = 'oke-stack';
/** The realm of the server's Basic challenge (stack/node/cmd/registry/main.go). */
const REALM = 'oke-stack registry';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export function registryAddress(ctx: StackContext): string {
  return `127.0.0.1:${ctx.ports.registry}`;
}

/** How image references name the registry (containerd on the node maps this name to the forwarder). */
export function registryName(ctx: StackContext): string {
  return `localhost:${ctx.ports.registry}`;
}

/** True when the registry holds `repo`@`digest` (a public repository: the stack's own images). */
export async function hasManifest(ctx: StackContext, repo: string, digest: string): Promise<boolean> {
  const head = await call(`http://${registryAddress(ctx)}/v2/${repo}/manifests/${digest}`, { method: 'HEAD' }).catch(() => ({ status: 0 }));
  return head.status === 200;
}

const storageDir = (ctx: StackContext): string => join(ctx.stateDir, 'registry');
const credentialsFile = (ctx: StackContext): string => join(storageDir(ctx), 'credentials');

/** The credentials in <stateDir>/registry/credentials; undefined when there are none yet. */
function readCredentials(ctx: StackContext): RegistryCredentials | undefined {
  const file = credentialsFile(ctx);
  if (!existsSync(file)) return undefined;
  const [username = '', password = ''] = readFileSync(file, 'utf8').trim().split(':');
  if (username !== USERNAME || !/^[0-9a-f]{32,}$/.test(password)) {
    throw new Error(`registry: ${file} does not hold ${USERNAME}:<hex password>; delete it to mint a new one (then restart the registry)`);
  }
  return { username, password };
}

/** Reuses the state dir's credentials, or mints them (hex: no character the `user:password` line must escape). */
function ensureCredentials(ctx: StackContext): RegistryCredentials {
  const file = credentialsFile(ctx);
  const found = readCredentials(ctx);
  if (found) {
    chmodSync(file, 0o600); // the server refuses a file others can read
    return found;
  }
  const creds = { username: USERNAME, password: randomBytes(18).toString('hex') };
  mkdirSync(storageDir(ctx), { recursive: true });
  writeFileSync(file, `${creds.username}:${creds.password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return creds;
}

/** Status of GET url (0 on a network error) and whether it carried the server's Basic challenge. */
async function get(url: string, creds?: RegistryCredentials): Promise<{ status: number; challenge: boolean }> {
  const headers: Record<string, string> = creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {};
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return { status: res.status, challenge: res.headers.get('www-authenticate') === `Basic realm="${REALM}"` };
  } catch {
    return { status: 0, challenge: false };
  }
}

/**
 * What is wrong with the server on the registry's port, if anything: `answering` false when nothing answers
 * /v2/ (not up yet), else a problem when it is not stack-registry with a private prefix (a `crane registry
 * serve` from before sends no challenge) or refuses the state dir's credentials (started with others).
 */
async function check(ctx: StackContext, creds: RegistryCredentials): Promise<{ answering: boolean; problem?: string }> {
  const base = `http://${registryAddress(ctx)}/v2/`;
  const anonymous = await get(base);
  if (anonymous.status !== 200) return { answering: false, problem: `no answer on ${base}` };
  if (!anonymous.challenge) return { answering: true, problem: `${base} sends no Basic challenge: the server there is not stack-registry with private ${PRIVATE_PREFIX} (a crane registry from before?)` };
  const authed = await get(base, creds);
  if (authed.status !== 200) return { answering: true, problem: `the server refuses the credentials in ${credentialsFile(ctx)} (HTTP ${authed.status}): started with other ones` };
  return { answering: true };
}

async function start(ctx: StackContext): Promise<void> {
  if ((await status(ctx)).healthy) return;
  await installNodeTools(ctx);
  mkdirSync(storageDir(ctx), { recursive: true });
  const creds = ensureCredentials(ctx);
  if (ctx.procs.isRunning(PROCESS)) {
    const { answering, problem } = await check(ctx, creds);
    if (answering && problem) {
      // Manifests live in memory: what the old server held is gone; the stack's pushes check and repeat them.
      ctx.log.warn(`registry: replacing the running server: ${problem}`);
      await ctx.procs.stop(PROCESS);
    }
  }
  if (!ctx.procs.isRunning(PROCESS)) {
    await ctx.procs.spawn(PROCESS, nodeTool(ctx, 'stack-registry'), [
      '-address', registryAddress(ctx), '-disk', storageDir(ctx),
      '-private-prefix', PRIVATE_PREFIX, '-credentials', credentialsFile(ctx),
    ]);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { problem } = await check(ctx, creds);
    if (!problem) return;
    if (!ctx.procs.isRunning(PROCESS)) throw new Error(`registry: stack-registry exited; see ${ctx.procs.logFile(PROCESS)}`);
    if (Date.now() > deadline) throw new Error(`registry: ${problem} after 20 s; see ${ctx.procs.logFile(PROCESS)}`);
    await sleep(100);
  }
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const endpoints = { registry: registryName(ctx), url: `http://${registryAddress(ctx)}`, privatePrefix: PRIVATE_PREFIX };
  let creds: RegistryCredentials | undefined;
  let bad: string | undefined;
  try {
    creds = readCredentials(ctx);
  } catch (err) {
    bad = (err as Error).message;
  }
  const details = {
    server: nodeTool(ctx, 'stack-registry'),
    crane: nodeTool(ctx, 'crane'),
    storage: storageDir(ctx),
    credentialsFile: credentialsFile(ctx),
    username: creds?.username,
    password: creds?.password,
  };
  if (!ctx.procs.isRunning(PROCESS)) return { healthy: false, endpoints, details, problem: 'stack-registry is not running' };
  if (!creds) return { healthy: false, endpoints, details, problem: bad ?? `no credentials in ${credentialsFile(ctx)}` };
  const { problem } = await check(ctx, creds);
  return problem ? { healthy: false, endpoints, details, problem } : { healthy: true, endpoints, details };
}

export const registry: Component = {
  name: 'registry',
  install: installNodeTools,
  start,
  status,
  processes: () => [PROCESS],
};
