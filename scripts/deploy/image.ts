/**
 * The deploy pipeline's app image, the same for both targets (.github/actions/app-image runs it): build
 * app/Dockerfile with buildah (no Docker engine) for every platform the target runs, push the index, and
 * check what the registry now holds.
 *
 *   tsx scripts/deploy/image.ts build    IMAGE, TAG, PLATFORMS (default linux/amd64,linux/arm64), BUILD_ARGS
 *                                        (NAME=value lines), REGISTRY_USERNAME/REGISTRY_PASSWORD, TLS_VERIFY
 *                                        (default true), DOCKERFILE, CONTEXT
 *                                        outputs: ref (repository@sha256:...), digest, repository, tag, platforms
 *   tsx scripts/deploy/image.ts verify   IMAGE_REF (repository@sha256:...), PLATFORMS, REGISTRY_USERNAME/
 *                                        REGISTRY_PASSWORD, TLS_VERIFY; fails unless IMAGE_REF is an index with
 *                                        every platform of PLATFORMS. outputs: platforms
 *
 * Platforms are built one after the other into one manifest list: the Dockerfile's build stage runs on the
 * builder's platform, so the second platform reuses its layers (a few seconds) instead of racing it.
 * Credentials go to buildah and skopeo in an auth file (mode 0600, in a 0700 directory under RUNNER_TEMP,
 * removed on exit), never on a command line; the password is masked first.
 * Outputs go to $GITHUB_OUTPUT when set, and always to stdout as name=value lines.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { authFile, buildArgv, ImageInputError, inspectArgv, parseBuildInputs, parseVerifyInputs, platformProblem, platformsOf, pushArgv, type Credentials, type Platform } from './image-lib.js';

class StepError extends Error {}

function run(cmd: string, args: string[], opts: { echo?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new StepError(`${cmd} cannot be started (${(err as NodeJS.ErrnoException).code}): install it (Debian/Ubuntu: apt-get install ${cmd}; GitHub's ubuntu runners have it)`));
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (opts.echo) {
      child.stdout?.on('data', (d: Buffer) => process.stdout.write(d));
      child.stderr?.on('data', (d: Buffer) => process.stdout.write(d));
    }
  });
}

function tail(text: string, lines = 12): string {
  return text.split('\n').filter((l) => l.trim()).slice(-lines).join('\n');
}

function output(values: Record<string, string>): void {
  const lines = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`);
  for (const l of lines) console.log(l);
}

/** An auth file for `repository`'s registry, or undefined without credentials; removed by the returned cleanup. */
function withAuth(repository: string, credentials: Credentials | undefined): { file?: string; cleanup: () => void } {
  if (!credentials) return { cleanup: () => undefined };
  for (const line of credentials.password.split(/\r?\n/)) if (line) console.log(`::add-mask::${line}`);
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'image-auth-'));
  const file = join(dir, 'auth.json');
  writeFileSync(file, authFile(repository, credentials), { mode: 0o600 });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function verify(repository: string, digest: string, platforms: Platform[], tlsVerify: boolean, auth?: string): Promise<string[]> {
  const ref = `${repository}@${digest}`;
  const r = await run('skopeo', inspectArgv({ repository, digest, tlsVerify }, auth));
  if (r.code !== 0) {
    const why = tail(r.stderr, 4);
    const hint = /unauthorized|authentication required|denied|401|403/i.test(why)
      ? 'the registry refused the credentials: check REGISTRY_USERNAME/REGISTRY_PASSWORD (a private package needs a token that may read it)'
      : /manifest unknown|not found|404/i.test(why)
        ? 'the registry has no such digest: was the image pushed to this repository?'
        : 'is the registry reachable from here?';
    throw new StepError(`cannot read ${ref} from its registry (${hint}):\n${why}`);
  }
  const problem = platformProblem(ref, r.stdout, platforms);
  if (problem) throw new StepError(problem);
  return platformsOf(r.stdout, platforms).found;
}

/**
 * The Dockerfile and context as buildah must see them. Under act (npm run local) the workspace is a directory of
 * symlinks into the clone, and buildah's copier refuses to follow a link out of the context: build from where
 * the Dockerfile really lives, with the context at the same place relative to it. Elsewhere nothing changes.
 */
function realPaths(dockerfile: string, context: string): { dockerfile: string; context: string } {
  const real = realpathSync(dockerfile);
  if (real === resolve(dockerfile)) return { dockerfile, context };
  return { dockerfile: real, context: resolve(dirname(real), relative(dirname(resolve(dockerfile)), resolve(context))) };
}

async function build(): Promise<void> {
  const given = parseBuildInputs(process.env);
  const inp = { ...given, ...realPaths(given.dockerfile, given.context) };
  const { file: auth, cleanup } = withAuth(inp.repository, inp.credentials);
  const list = `localhost/deploy-image-${randomBytes(6).toString('hex')}`;
  const work = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'image-'));
  const t0 = performance.now();
  try {
    for (const platform of inp.platforms) {
      const t = performance.now();
      console.log(`::group::buildah build ${inp.dockerfile} for ${platform}`);
      const r = await run('buildah', buildArgv(inp, platform, list, auth), { echo: true });
      console.log('::endgroup::');
      if (r.code !== 0) {
        throw new StepError(`buildah could not build ${inp.dockerfile} for ${platform} (exit ${r.code}); the build log is in the group above. Last lines:\n${tail(r.stdout + r.stderr)}`);
      }
      console.log(`image: built ${platform} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const digestFile = join(work, 'digest');
    const target = `${inp.repository}:${inp.tag}`;
    const push = await run('buildah', pushArgv(inp, list, digestFile, auth));
    const digest = existsSync(digestFile) ? readFileSync(digestFile, 'utf8').trim() : '';
    // buildah 1.28 (Debian 12) exits 0 from a `manifest push` whose blob uploads were refused; only the missing
    // digest tells. The registry's own answer to a read says why.
    if (push.code !== 0 || !digest) {
      const probe = push.code === 0 ? await run('skopeo', ['inspect', '--raw', `--tls-verify=${inp.tlsVerify}`, ...(auth ? ['--authfile', auth] : []), `docker://${target}`]) : undefined;
      const why = tail(`${push.stderr || push.stdout}\n${probe?.stderr ?? ''}`, 6);
      const hint = /unauthorized|authentication required|denied|401|403/i.test(why)
        ? `the registry refused the credentials: check REGISTRY_USERNAME/REGISTRY_PASSWORD (for GHCR: the job needs \`packages: write\`, and a package made by another repository must grant this one write access)`
        : 'check that the registry is reachable and accepts pushes to this repository';
      throw new StepError(`the registry refused the push of ${target} (${hint}):\n${why || 'buildah reported no digest'}`);
    }
    const found = await verify(inp.repository, digest, inp.platforms, inp.tlsVerify, auth);
    console.log(`image: pushed ${target} = ${inp.repository}@${digest} (${found.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    output({ ref: `${inp.repository}@${digest}`, digest, repository: inp.repository, tag: inp.tag, platforms: found.join(',') });
  } finally {
    await run('buildah', ['manifest', 'rm', list]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    cleanup();
  }
}

async function verifyCommand(): Promise<void> {
  const inp = parseVerifyInputs(process.env);
  const { file: auth, cleanup } = withAuth(inp.repository, inp.credentials);
  try {
    const found = await verify(inp.repository, inp.digest, inp.platforms, inp.tlsVerify, auth);
    console.log(`image: ${inp.repository}@${inp.digest} offers ${found.join(', ')}; the target needs ${inp.platforms.join(', ')}`);
    output({ platforms: found.join(',') });
  } finally {
    cleanup();
  }
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { build, verify: verifyCommand };
const fn = command ? commands[command] : undefined;
if (!fn) {
  console.error(`usage: tsx scripts/deploy/image.ts build|verify (got ${command ?? 'nothing'}); see the comment at the top of the file`);
  process.exit(2);
}
fn().catch((err: unknown) => {
  const message = err instanceof ImageInputError || err instanceof StepError ? err.message : String((err as Error).stack ?? err);
  const [first, ...rest] = message.split('\n');
  console.log(`::error title=app image::${first}`);
  if (rest.length) console.log(rest.join('\n'));
  process.exitCode = 1;
});
