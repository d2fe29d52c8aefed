import { authFile, buildArgv, ImageInputError, parseBuildInputs, parsePlatforms, parseRepository, parseVerifyInputs, platformProblem, pushArgv, registryHost } from '../../../scripts/deploy/image-lib.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const index = (...arches: string[]) => JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: arches.map((a) => ({ digest: DIGEST, platform: { os: 'linux', architecture: a } })) });

describe('app image inputs', () => {
  const base = { IMAGE: 'ghcr.io/acme/todo', TAG: 'abc123' };

  it('defaults to both OKE platforms, TLS on, app/Dockerfile from the root', () => {
    const inp = parseBuildInputs(base);
    expect(inp).toEqual({ repository: 'ghcr.io/acme/todo', tag: 'abc123', platforms: ['linux/amd64', 'linux/arm64'], buildArgs: [], credentials: undefined, tlsVerify: true, dockerfile: 'app/Dockerfile', context: '.' });
  });

  it('reads build arguments, credentials and a registry with a port', () => {
    const inp = parseBuildInputs({ ...base, IMAGE: 'localhost:16460/apps/todo', BUILD_ARGS: '# bases\nNODE_BUILD_IMAGE=localhost:16460/oke-stack/node@sha256:1\n\nX=a=b\n', REGISTRY_USERNAME: 'u', REGISTRY_PASSWORD: 'p', TLS_VERIFY: 'false', PLATFORMS: 'linux/arm64, linux/arm64' });
    expect(inp.buildArgs).toEqual([['NODE_BUILD_IMAGE', 'localhost:16460/oke-stack/node@sha256:1'], ['X', 'a=b']]);
    expect(inp.credentials).toEqual({ username: 'u', password: 'p' });
    expect(inp.tlsVerify).toBe(false);
    expect(inp.platforms).toEqual(['linux/arm64']);
  });

  it.each([
    [{ IMAGE: '' }, /IMAGE is empty/],
    [{ IMAGE: 'ghcr.io/Acme/todo' }, /not a valid image repository/],
    [{ IMAGE: 'ghcr.io/acme/todo:v1' }, /has a tag or digest/],
    [{ IMAGE: `ghcr.io/acme/todo@${DIGEST}` }, /has a tag or digest/],
    [{ TAG: '-x' }, /TAG "-x" is not a valid tag/],
    [{ PLATFORMS: 'linux/s390x' }, /"linux\/s390x" is not a supported platform/],
    [{ PLATFORMS: ' , ' }, /PLATFORMS is empty/],
    [{ BUILD_ARGS: 'NOT AN ARG' }, /BUILD_ARGS line 1/],
    [{ TLS_VERIFY: 'yes' }, /TLS_VERIFY must be true or false/],
    [{ REGISTRY_PASSWORD: 'p' }, /REGISTRY_USERNAME is empty/],
    [{ REGISTRY_USERNAME: 'u' }, /REGISTRY_PASSWORD is empty/],
  ])('refuses %j, naming the input', (env, message) => {
    expect(() => parseBuildInputs({ ...base, ...env })).toThrow(ImageInputError);
    expect(() => parseBuildInputs({ ...base, ...env })).toThrow(message);
  });

  it('never puts the password in an error', () => {
    expect(() => parseBuildInputs({ ...base, REGISTRY_USERNAME: '', REGISTRY_PASSWORD: 's3cr3t-value' })).toThrow(/^(?!.*s3cr3t-value)/s);
  });

  it('verify needs the image by digest', () => {
    expect(parseVerifyInputs({ IMAGE_REF: `ghcr.io/acme/todo@${DIGEST}` })).toMatchObject({ repository: 'ghcr.io/acme/todo', digest: DIGEST });
    expect(() => parseVerifyInputs({ IMAGE_REF: 'ghcr.io/acme/todo:latest' })).toThrow(/does not name the image by digest/);
    expect(() => parseVerifyInputs({ IMAGE_REF: 'ghcr.io/acme/todo@sha256:abc' })).toThrow(/does not name the image by digest/);
  });

  it('parses repositories as registries do', () => {
    expect(parseRepository('localhost:16460/apps/todo')).toBe('localhost:16460/apps/todo');
    expect(parseRepository('todo')).toBe('todo');
    expect(() => parsePlatforms('linux/amd64 windows/amd64')).toThrow(/windows\/amd64/);
  });
});

describe('app image commands', () => {
  const inp = parseBuildInputs({ IMAGE: 'localhost:16460/apps/todo', TAG: 't', TLS_VERIFY: 'false', BUILD_ARGS: 'A=1' });

  it('builds one platform at a time into one list, on the host network, with the auth file, leaving no container when a step fails', () => {
    expect(buildArgv(inp, 'linux/arm64', 'localhost/list', '/tmp/a.json')).toEqual([
      'build', '--layers', '--force-rm', '--network', 'host', '--platform', 'linux/arm64', '--manifest', 'localhost/list', '--tls-verify=false', '--authfile', '/tmp/a.json',
      '--build-arg', 'A=1', '--label', 'org.opencontainers.image.version=t', '-f', 'app/Dockerfile', '.',
    ]);
  });

  it('pushes every platform of the list as an OCI index and records the digest', () => {
    expect(pushArgv(inp, 'localhost/list', '/tmp/d')).toEqual(['manifest', 'push', '--all', '--format', 'oci', '--tls-verify=false', '--digestfile', '/tmp/d', 'localhost/list', 'docker://localhost:16460/apps/todo:t']);
  });

  it('writes credentials for the registry host only', () => {
    expect(registryHost('ghcr.io/acme/todo')).toBe('ghcr.io');
    expect(registryHost('acme/todo')).toBe('docker.io');
    expect(registryHost('localhost/todo')).toBe('localhost');
    const auth = JSON.parse(authFile('localhost:16460/apps/todo', { username: 'u', password: 'p:w' })) as { auths: Record<string, { auth: string }> };
    expect(Object.keys(auth.auths)).toEqual(['localhost:16460']);
    expect(Buffer.from(auth.auths['localhost:16460']?.auth ?? '', 'base64').toString()).toBe('u:p:w');
  });
});

describe('platformProblem', () => {
  const ref = `ghcr.io/acme/todo@${DIGEST}`;
  it('accepts an index with every required platform', () => {
    expect(platformProblem(ref, index('amd64', 'arm64'), ['linux/amd64', 'linux/arm64'])).toBeUndefined();
  });
  it('names the missing platform and the fix', () => {
    expect(platformProblem(ref, index('amd64'), ['linux/amd64', 'linux/arm64'])).toMatch(/offers linux\/amd64 but the target needs linux\/arm64 too.*PLATFORMS=linux\/amd64,linux\/arm64/);
  });
  it('refuses a single-platform image where an index is needed', () => {
    const single = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] });
    expect(platformProblem(ref, single, ['linux/arm64'])).toMatch(/single-platform image, not an index/);
  });
  it('says when the registry answered something else than JSON', () => {
    expect(() => platformProblem(ref, '<html>', ['linux/arm64'])).toThrow(/not JSON/);
  });
});
