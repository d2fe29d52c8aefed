/**
 * The pure part of the deploy pipeline's image step (scripts/deploy/image.ts): reading and checking its
 * inputs, the buildah and skopeo command lines, and what a pushed index must hold. No process, no file.
 */

export class ImageInputError extends Error {}

export const SUPPORTED_PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof SUPPORTED_PLATFORMS)[number];

/** A repository as registries name it: host[:port]/path, lower case, no tag, no digest. */
const REPOSITORY = /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const BUILD_ARG = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

export interface Credentials {
  username: string;
  password: string;
}

export interface BuildInputs {
  repository: string;
  tag: string;
  platforms: Platform[];
  buildArgs: Array<[string, string]>;
  credentials?: Credentials;
  tlsVerify: boolean;
  dockerfile: string;
  context: string;
}

export interface VerifyInputs {
  repository: string;
  digest: string;
  platforms: Platform[];
  credentials?: Credentials;
  tlsVerify: boolean;
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const v = (env[name] ?? '').trim();
  if (!v) throw new ImageInputError(`${name} is empty: set it to ${what}`);
  return v;
}

export function parseRepository(value: string, name = 'IMAGE'): string {
  const last = value.split('/').pop() ?? '';
  if (value.includes('@') || (value.includes('/') && last.includes(':'))) {
    throw new ImageInputError(`${name} "${value}" has a tag or digest: give the repository only (e.g. ghcr.io/<owner>/todo); the tag is TAG`);
  }
  if (!REPOSITORY.test(value)) {
    throw new ImageInputError(`${name} "${value}" is not a valid image repository: lower-case host[:port]/path, e.g. ghcr.io/<owner>/todo or localhost:16460/apps/todo`);
  }
  return value;
}

export function parsePlatforms(value: string, name = 'PLATFORMS'): Platform[] {
  const items = value.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) throw new ImageInputError(`${name} is empty: give one or more of ${SUPPORTED_PLATFORMS.join(', ')}`);
  const out: Platform[] = [];
  for (const p of items) {
    if (!(SUPPORTED_PLATFORMS as readonly string[]).includes(p)) {
      throw new ImageInputError(`${name}: "${p}" is not a supported platform; use ${SUPPORTED_PLATFORMS.join(' and/or ')} (OKE's Ampere A1 nodes are linux/arm64)`);
    }
    if (!out.includes(p as Platform)) out.push(p as Platform);
  }
  return out;
}

function parseBool(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const v = (env[name] ?? '').trim();
  if (v === '') return dflt;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ImageInputError(`${name} must be true or false, got "${v}"`);
}

function parseCredentials(env: NodeJS.ProcessEnv): Credentials | undefined {
  const username = env.REGISTRY_USERNAME ?? '';
  const password = env.REGISTRY_PASSWORD ?? '';
  if (!username && !password) return undefined;
  if (!username) throw new ImageInputError('REGISTRY_PASSWORD is set but REGISTRY_USERNAME is empty: give both (for GHCR: github.actor and a token with packages access) or neither');
  if (!password) throw new ImageInputError(`REGISTRY_USERNAME is "${username}" but REGISTRY_PASSWORD is empty: give both or neither`);
  return { username, password };
}

export function parseBuildArgs(value: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  value.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = BUILD_ARG.exec(line);
    if (!m) throw new ImageInputError(`BUILD_ARGS line ${i + 1} ("${line.slice(0, 80)}") is not NAME=value`);
    out.push([m[1] as string, m[2] as string]);
  });
  return out;
}

export function parseBuildInputs(env: NodeJS.ProcessEnv): BuildInputs {
  const repository = parseRepository(required(env, 'IMAGE', 'the image repository, e.g. ghcr.io/<owner>/todo'));
  const tag = required(env, 'TAG', 'the image tag, e.g. the commit SHA');
  if (!TAG.test(tag)) throw new ImageInputError(`TAG "${tag.slice(0, 140)}" is not a valid tag: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'`);
  return {
    repository,
    tag,
    platforms: parsePlatforms(env.PLATFORMS ?? SUPPORTED_PLATFORMS.join(',')),
    buildArgs: parseBuildArgs(env.BUILD_ARGS ?? ''),
    credentials: parseCredentials(env),
    tlsVerify: parseBool(env, 'TLS_VERIFY', true),
    dockerfile: env.DOCKERFILE?.trim() || 'app/Dockerfile',
    context: env.CONTEXT?.trim() || '.',
  };
}

/** IMAGE_REF must name the image by digest: repository@sha256:<64 hex>. */
export function parseVerifyInputs(env: NodeJS.ProcessEnv): VerifyInputs {
  const ref = required(env, 'IMAGE_REF', 'the image by digest, repository@sha256:<hex> (the build step\'s `ref` output)');
  const at = ref.lastIndexOf('@');
  const digest = at > 0 ? ref.slice(at + 1) : '';
  if (!DIGEST.test(digest)) throw new ImageInputError(`IMAGE_REF "${ref.slice(0, 200)}" does not name the image by digest: give repository@sha256:<64 hex>, so that what is checked is what is deployed`);
  return {
    repository: parseRepository(ref.slice(0, at), 'IMAGE_REF'),
    digest,
    platforms: parsePlatforms(env.PLATFORMS ?? SUPPORTED_PLATFORMS.join(',')),
    credentials: parseCredentials(env),
    tlsVerify: parseBool(env, 'TLS_VERIFY', true),
  };
}

/** The registry host of a repository (docker.io when the first part is not a host). */
export function registryHost(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** The containers-auth.json that buildah and skopeo read (--authfile): one registry, basic credentials. */
export function authFile(repository: string, c: Credentials): string {
  return `${JSON.stringify({ auths: { [registryHost(repository)]: { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') } } })}\n`;
}

export function buildArgv(inp: BuildInputs, platform: Platform, list: string, auth?: string): string[] {
  return [
    // --force-rm: a failed step's container goes too (else it stays, with its overlay mounted, until removed).
    'build', '--layers', '--force-rm', '--network', 'host', '--platform', platform, '--manifest', list,
    `--tls-verify=${inp.tlsVerify}`, ...(auth ? ['--authfile', auth] : []),
    ...inp.buildArgs.flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    '--label', `org.opencontainers.image.version=${inp.tag}`,
    '-f', inp.dockerfile, inp.context,
  ];
}

export function pushArgv(inp: BuildInputs, list: string, digestFile: string, auth?: string): string[] {
  return ['manifest', 'push', '--all', '--format', 'oci', `--tls-verify=${inp.tlsVerify}`, ...(auth ? ['--authfile', auth] : []), '--digestfile', digestFile, list, `docker://${inp.repository}:${inp.tag}`];
}

export function inspectArgv(v: Pick<VerifyInputs, 'repository' | 'digest' | 'tlsVerify'>, auth?: string): string[] {
  return ['inspect', '--raw', `--tls-verify=${v.tlsVerify}`, ...(auth ? ['--authfile', auth] : []), `docker://${v.repository}@${v.digest}`];
}

interface RawManifest {
  mediaType?: string;
  manifests?: Array<{ platform?: { os?: string; architecture?: string; variant?: string } }>;
  config?: unknown;
}

/** The platforms a raw manifest (index or single image) offers, and those of `required` it lacks. */
export function platformsOf(raw: string, requiredPlatforms: Platform[]): { found: string[]; missing: Platform[]; isIndex: boolean } {
  let m: RawManifest;
  try {
    m = JSON.parse(raw) as RawManifest;
  } catch {
    throw new Error(`the registry's manifest is not JSON: ${raw.slice(0, 120)}`);
  }
  const isIndex = Array.isArray(m.manifests);
  const found = isIndex
    ? (m.manifests ?? []).map((d) => `${d.platform?.os ?? '?'}/${d.platform?.architecture ?? '?'}`).filter((p) => !p.includes('unknown'))
    : [];
  return { found, missing: requiredPlatforms.filter((p) => !found.includes(p)), isIndex };
}

/** Why an image cannot serve the target, or undefined when it can. */
export function platformProblem(ref: string, raw: string, requiredPlatforms: Platform[]): string | undefined {
  const { found, missing, isIndex } = platformsOf(raw, requiredPlatforms);
  if (!isIndex) {
    return `${ref} is a single-platform image, not an index: the target needs ${requiredPlatforms.join(' and ')}. Build it with PLATFORMS=${requiredPlatforms.join(',')} (buildah build --platform, or docker buildx --platform) and deploy the index's digest`;
  }
  if (missing.length) {
    return `${ref} offers ${found.join(', ') || 'no platform'} but the target needs ${missing.join(' and ')} too (OKE's Ampere A1 nodes are linux/arm64): rebuild with PLATFORMS=${requiredPlatforms.join(',')}`;
  }
  return undefined;
}
