import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateDir } from '../../stack/src/config.js';
import { buildImageLayout } from '../../stack/src/oci-image.js';
import { component } from '../support/stack.js';

/**
 * Proves the stack's registry treats its private prefix (apps/) as GHCR treats a private package: pulls and
 * pushes there without the stack user's credentials, or with wrong ones, get 401 and a Basic challenge; the
 * right ones push and pull; every other repository stays open to anonymous push and pull, as the stack's own
 * images need; and the password never reaches the registry's log. Real pushes and pulls with crane (which
 * reads credentials from $DOCKER_CONFIG/config.json), real HTTP requests for what a client sees.
 */
const registry = component('registry');
const url = String(registry.endpoints.url);
const host = new URL(url).host;
const prefix = String(registry.endpoints.privatePrefix);
const username = String(registry.details?.username);
const password = String(registry.details?.password);
const crane = String(registry.details?.crane);
const id = randomUUID().slice(0, 8);
const publicRepo = `oke-stack/registry-test-${id}`;
const privateRepo = `${prefix}registry-test-${id}`;
const work = mkdtempSync(join(tmpdir(), 'stack-registry-'));

/** A one-layer image of its own content (so its layer is in no other repository), as an OCI layout. */
function image(name: string): { layout: string; digest: string; layer: string } {
  const built = buildImageLayout({ files: [{ path: 'hello.txt', data: Buffer.from(`${name} ${id}\n`), mode: 0o644 }], entrypoint: ['/hello'] }, work, name);
  const blob = (d: string) => readFileSync(join(built.layout, 'blobs', 'sha256', d.slice('sha256:'.length)), 'utf8');
  const manifest = JSON.parse(blob(built.digest)) as { layers: Array<{ digest: string }> };
  return { ...built, layer: manifest.layers[0]?.digest ?? '' };
}

/** A DOCKER_CONFIG directory for crane (0700, config.json 0600): `user:password` for this registry, or none. */
function dockerConfig(name: string, auth?: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { mode: 0o700 });
  const config = auth ? { auths: { [host]: { auth: Buffer.from(auth).toString('base64') } } } : {};
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

function runCrane(args: string[], config: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(crane, args, { env: { ...process.env, DOCKER_CONFIG: config }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const basic = (auth: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(auth).toString('base64')}` });

const publicImage = image('public');
const privateImage = image('private');
const as = {
  anonymous: dockerConfig('anonymous'),
  wrongPassword: dockerConfig('wrong-password', `${username}:not-the-password`),
  wrongUser: dockerConfig('wrong-user', `someone-else:${password}`),
  user: dockerConfig('user', `${username}:${password}`),
};

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('stack: the registry, private under its prefix', () => {
  it('reports the prefix and a user whose password file only its owner can read', () => {
    expect(prefix).toBe('apps/');
    expect(username).toBe('oke-stack');
    expect(password).toMatch(/^[0-9a-f]{36}$/);
    const file = String(registry.details?.credentialsFile);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${username}:${password}\n`);
  });

  it('answers /v2/ to anyone, so clients go on to the repository and its challenge', async () => {
    const res = await fetch(`${url}/v2/`);
    expect(res.status).toBe(200);
    // The challenge as a hint: containers/image (skopeo, buildah) sends its credentials only after seeing it here.
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="oke-stack registry"');
    // Credentials sent here are checked (how `skopeo login` and `buildah login` tell a wrong password).
    expect((await fetch(`${url}/v2/`, { headers: basic(`${username}:${password}`) })).status).toBe(200);
    expect((await fetch(`${url}/v2/`, { headers: basic(`${username}:not-the-password`) })).status).toBe(401);
  });

  it('keeps every other repository open: anonymous push and pull', async () => {
    const ref = `${host}/${publicRepo}:1`;
    expect(await runCrane(['push', publicImage.layout, ref], as.anonymous)).toMatchObject({ code: 0 });
    expect((await runCrane(['digest', ref], as.anonymous)).out.trim()).toBe(publicImage.digest);
    expect((await fetch(`${url}/v2/${publicRepo}/blobs/${publicImage.layer}`)).status).toBe(200);
  });

  it.each([
    ['without credentials', 'anonymous'],
    ['with a wrong password', 'wrongPassword'],
    ['with a wrong user name', 'wrongUser'],
  ] as const)('refuses a push to apps/ %s', async (_what, who) => {
    const pushed = await runCrane(['push', privateImage.layout, `${host}/${privateRepo}:1`], as[who]);
    expect(pushed.code).not.toBe(0);
    expect(pushed.out).toMatch(/401 Unauthorized|UNAUTHORIZED/);
    // Nothing arrived: the user sees no such image either.
    expect((await fetch(`${url}/v2/${privateRepo}/manifests/1`, { method: 'HEAD', headers: basic(`${username}:${password}`) })).status).toBe(404);
  });

  it('takes a push and a pull with the stack user\'s credentials', async () => {
    const ref = `${host}/${privateRepo}:1`;
    expect(await runCrane(['push', privateImage.layout, ref], as.user)).toMatchObject({ code: 0 });
    expect((await runCrane(['digest', ref], as.user)).out.trim()).toBe(privateImage.digest);
    const pulled = await runCrane(['pull', '--format', 'oci', ref, join(work, 'pulled')], as.user);
    expect(pulled).toMatchObject({ code: 0 });
    expect(readFileSync(join(work, 'pulled', 'index.json'), 'utf8')).toContain(privateImage.digest);
    expect((await fetch(`${url}/v2/${privateRepo}/tags/list`, { headers: basic(`${username}:${password}`) }).then((r) => r.json()))).toEqual({ name: privateRepo, tags: ['1'] });
  });

  it.each([
    ['the manifest by tag', 'GET', () => `/v2/${privateRepo}/manifests/1`],
    ['the manifest by digest', 'HEAD', () => `/v2/${privateRepo}/manifests/${privateImage.digest}`],
    ['a layer', 'GET', () => `/v2/${privateRepo}/blobs/${privateImage.layer}`],
    ['the tags', 'GET', () => `/v2/${privateRepo}/tags/list`],
    ['a new upload', 'POST', () => `/v2/${privateRepo}/blobs/uploads/`],
    ['a delete', 'DELETE', () => `/v2/${privateRepo}/manifests/1`],
  ])('answers %s (%s) with 401 and a Basic challenge, anonymous or with a wrong password', async (_what, method, path) => {
    for (const headers of [{}, basic(`${username}:not-the-password`)]) {
      const res = await fetch(`${url}${path()}`, { method, headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="oke-stack registry"');
      const body = method === 'HEAD' ? '' : await res.text();
      if (method !== 'HEAD') expect(JSON.parse(body)).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: expect.stringContaining(privateRepo) }] });
    }
    // Still there for the user: the refused delete deleted nothing.
    expect((await fetch(`${url}/v2/${privateRepo}/manifests/1`, { method: 'HEAD', headers: basic(`${username}:${password}`) })).status).toBe(200);
  });

  it('refuses crane\'s anonymous pull, and serves no private layer through a public repository', async () => {
    const pulled = await runCrane(['digest', `${host}/${privateRepo}:1`], as.anonymous);
    expect(pulled.code).not.toBe(0);
    expect(pulled.out).toMatch(/401 Unauthorized|UNAUTHORIZED/);
    // The blob store is keyed by digest: private layers are kept apart, or any repository would serve them.
    expect((await fetch(`${url}/v2/${publicRepo}/blobs/${privateImage.layer}`)).status).toBe(404);
  });

  it('logs each refusal, never the password', () => {
    const log = readFileSync(join(stateDir(), 'logs', 'registry.log'), 'utf8');
    expect(log).toContain(`refused GET "/v2/${privateRepo}/tags/list": 401 repository ${privateRepo} is private: no credentials`);
    expect(log).toContain(`refused GET "/v2/${privateRepo}/tags/list": 401 repository ${privateRepo} is private: wrong username or password`);
    for (const secret of [password, Buffer.from(`${username}:${password}`).toString('base64'), Buffer.from(`someone-else:${password}`).toString('base64')]) {
      expect(log.includes(secret)).toBe(false);
    }
  });
});
