import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { chromium, type Browser } from 'playwright-core';
import { authFile } from '../../../scripts/deploy/image-lib.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { runActionBundle } from '../../support/action-harness.js';
import { runLocalDeploy } from '../../support/act.js';
import { removeDapr } from '../../support/dapr-cluster.js';
import { proveMonitoring } from '../../support/monitoring.js';
import { rollbackSuite } from './rollback-suite.js';
import { component, stack } from '../../support/stack.js';

/**
 * `npm run local` end to end, as a newcomer runs it: scripts/local.sh brings the stack up and runs deploy.yml's
 * `local` job through act, which runs the same deploy body as the oke job. Then, against what it deployed:
 * the pods on the real node, the private image and its pull secret, the UI in headless Chromium, the arm64
 * image under qemu-user, a worker killed during verify-events, the image step's refusals, and last verify-events'
 * rollback-on-failure on the same release (rollback-suite.ts).
 * Starts with no Dapr and no `todo` release; leaves none (Dapr's chart is cluster-wide: one per cluster).
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const out = join(root, '.stack', 'deploy', 'local');
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const NS = 'todo';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Report { verified: boolean; verdict: string; appUrl: string; steps: Record<string, string> }
let local: { code: number | null; stdout: string; seconds: number };
let report: Report;
let imageRef = '';
const registry = component('registry');
const regUser = String(registry.details?.username ?? '');
const regPassword = String(registry.details?.password ?? '');
const crane = String(registry.details?.crane ?? '');

function helmEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: kubeconfig };
}

async function removeApp(): Promise<void> {
  spawnSync(stack.helm().helm4, ['uninstall', 'todo', '-n', NS, '--wait', '--timeout', '120s'], { env: helmEnv(), stdio: 'ignore' });
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  for (let i = 0; i < 240 && (await core.readNamespace({ name: NS }).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 500));
}

/** A DOCKER_CONFIG directory with the stack registry's credentials (mode 0600), for crane. */
function dockerConfig(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'docker-config-'));
  // The same auth file the image step gives buildah and skopeo (crane reads that format too).
  writeFileSync(join(dir, 'config.json'), authFile(imageRef.split('@')[0] ?? '', { username: regUser, password: regPassword }), { mode: 0o600 });
  return { dir, env: { ...process.env, DOCKER_CONFIG: dir } };
}

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  await removeApp();
  await removeDapr(kubeconfig);
  rmSync(join(out, 'report.json'), { force: true });
  local = await runLocalDeploy();
  if (existsSync(join(out, 'report.json'))) report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  const api = await apps.readNamespacedDeployment({ name: 'todo-api', namespace: NS }).catch(() => undefined);
  imageRef = api?.spec?.template.spec?.containers.find((c) => c.name === 'api')?.image ?? '';
}, 960_000);

afterAll(async () => {
  await removeApp();
  await removeDapr(kubeconfig);
}, 300_000);

describe('npm run local (deploy.yml job local through act, the same body as the oke job)', () => {
  it('builds the image, deploys it by digest onto the real node and verifies the round trip through its pods', async () => {
    if (local.code !== 0) throw new Error(`scripts/local.sh exited ${local.code} after ${local.seconds.toFixed(0)} s; end of its output:\n${local.stdout.split('\n').slice(-60).join('\n')}`);
    expect(report.verified).toBe(true);
    for (const [step, outcome] of Object.entries(report.steps)) expect(`${step}: ${outcome}`).toBe(`${step}: success`);
    expect(Object.keys(report.steps)).toEqual(['Bundles', 'Local stack', 'App image', 'Image check', 'dapr-install', 'redpanda-topics', 'App secret', 'Image pull secret', 'helm-deploy', 'verify-events']);
    expect(local.stdout).toMatch(/verify-events: verified/);
    expect(local.stdout).toContain(`app: ${report.appUrl}`);
    expect(local.stdout).toContain(`prometheus: ${stack.prometheus().url} (targets from the chart's ServiceMonitor: 2 endpoint(s)`);

    // By digest, from the stack registry's private repository, with the pull secret.
    expect(imageRef).toMatch(/^localhost:\d+\/apps\/todo@sha256:[a-f0-9]{64}$/);
    const pods = (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods.map((p) => p.metadata?.labels?.['app.kubernetes.io/component']).sort()).toEqual(['api', 'worker']);
    for (const p of pods) {
      expect(p.spec?.nodeName).toBe(String(component('node').details?.nodeName));
      expect(p.spec?.imagePullSecrets).toEqual([{ name: 'app-registry' }]);
      expect(p.spec?.containers.map((c) => c.name).sort()).toEqual([p.metadata?.labels?.['app.kubernetes.io/component'], 'daprd'].sort());
      expect(p.status?.containerStatuses?.every((c) => c.ready)).toBe(true);
      expect(p.status?.containerStatuses?.find((c) => c.name !== 'daprd')?.imageID).toContain(imageRef.split('@')[1]);
    }
    const pullSecret = await core.readNamespacedSecret({ name: 'app-registry', namespace: NS });
    expect(pullSecret.type).toBe('kubernetes.io/dockerconfigjson');
    // The repository is private: without the secret's credentials the registry refuses the image.
    const [name, digest] = imageRef.split('@') as [string, string];
    const anonymous = await fetch(`${String(registry.endpoints.url)}/v2/${name.slice(name.indexOf('/') + 1)}/manifests/${digest}`, { method: 'HEAD' });
    expect(anonymous.status).toBe(401);

    // The build left the root network namespace alone: buildah ran every RUN on the host network (its default
    // would make a CNI bridge, iptables rules and turn on ip_forward here).
    expect(execFileSync('sysctl', ['-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }).trim()).toBe('0');
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toMatch(/cni-podman|podman\d/);

    // The UI's URL works from this machine.
    const health = await fetch(`${report.appUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);

    // No secret in the log: the Kafka, registry and PostgreSQL passwords and the JWT key the job made.
    const secret = await core.readNamespacedSecret({ name: 'todo-secrets', namespace: NS });
    const values = Object.values(secret.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8'));
    const log = `${local.stdout}\n${readFileSync(join(out, 'act.log'), 'utf8')}`;
    for (const v of [...values, regPassword, String(component('postgres').details?.password ?? '')]) {
      expect(v.length).toBeGreaterThan(8);
      expect(log.includes(v)).toBe(false);
    }
  });

  it('the UI in headless Chromium against the in-cluster app: sign in, complete a task, a reminder arrives', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with stack/install-system.sh (apt-get install chromium)`);
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
    const errors: string[] = [];
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(20_000);
      page.on('pageerror', (err) => errors.push(err.message));
      const http: string[] = [];
      page.on('response', (r) => http.push(`${r.status()} ${r.request().method()} ${r.url()}`));
      page.on('console', (m) => http.push(`console.${m.type()}: ${m.text()}`));
      const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          throw new Error(`${what}: ${(err as Error).message.split('\n')[0]}\npage errors: ${errors.join('; ') || 'none'}\nlast responses and console lines:\n${http.slice(-15).join('\n')}`, { cause: err });
        }
      };
      const user = `ui-${randomUUID().slice(0, 8)}`;
      await page.goto(report.appUrl);
      await page.fill('#dev-user', user);
      await page.click('#dev-sign-in button[type=submit]');
      await step('sign in', () => page.locator('#who', { hasText: `Signed in as ${user}` }).waitFor());

      const done = `Complete me ${randomUUID().slice(0, 6)}`;
      await page.fill('#title', done);
      await page.click('#new-task button[type=submit]');
      const item = page.locator('li.task', { hasText: done });
      await item.waitFor();
      await item.getByRole('button', { name: 'Complete' }).click();
      await page.locator('li.task.done', { hasText: done }).waitFor();

      // Due in 33 s, reminded 30 s before: the Jobs API (scheduler) calls the worker about 3 s from now.
      const reminded = `Remind me ${randomUUID().slice(0, 6)}`;
      const due = await page.evaluate(() => {
        const d = new Date(Date.now() + 33_000);
        d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
        return d.toISOString().slice(0, 19);
      });
      await page.fill('#title', reminded);
      await page.fill('#due', due);
      await page.selectOption('#remind', '30s');
      await page.click('#new-task button[type=submit]');
      await page.locator('li.task', { hasText: reminded }).waitFor();
      await page.locator('#notifications li', { hasText: reminded }).waitFor({ timeout: 45_000 });

      // The API (through the NodePort) agrees with what the page shows.
      const token = ((await (await fetch(`${report.appUrl}/auth/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) })).json()) as { token: string }).token;
      const tasks = ((await (await fetch(`${report.appUrl}/api/tasks`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Array<{ title: string; done: boolean }> }).items;
      expect(tasks.find((t) => t.title === done)?.done).toBe(true);
      expect(tasks.find((t) => t.title === reminded)?.done).toBe(false);
    } finally {
      await browser.close();
    }
    expect(errors).toEqual([]);
  }, 120_000);

  it('monitoring: Prometheus scrapes the pods by the chart\'s ServiceMonitor; after a load run every dashboard query has data; the worker stopped fires TodoEventsStuck and TodoNoEvents within their windows and for:', async () => {
    await proveMonitoring({ kubeconfig, appUrl: report.appUrl, namespace: NS });
  }, 300_000);

  it('the arm64 image of the same index starts and answers /healthz under qemu-user emulation', async () => {
    const cfg = dockerConfig();
    const rootfs = mkdtempSync(join(tmpdir(), 'arm64-rootfs-'));
    let child: ReturnType<typeof spawn> | undefined;
    try {
      const config = JSON.parse(execFileSync(crane, ['config', '--platform', 'linux/arm64', imageRef], { env: cfg.env, encoding: 'utf8' })) as { architecture: string; config: { Entrypoint: string[]; Cmd: string[]; Env: string[]; WorkingDir: string } };
      expect(config.architecture).toBe('arm64');
      const tar = spawnSync('bash', ['-c', `"${crane}" export --platform linux/arm64 "${imageRef}" - | tar -x -C "${rootfs}"`], { env: cfg.env, encoding: 'utf8' });
      expect(tar.status).toBe(0);
      const [entry, ...entryArgs] = config.config.Entrypoint;
      // An aarch64 ELF (e_machine 0xB7): it cannot run here without the emulator.
      const fd = openSync(join(rootfs, entry!), 'r');
      const header = Buffer.alloc(20);
      readSync(fd, header, 0, 20, 0);
      closeSync(fd);
      expect(header.readUInt16LE(18)).toBe(0xb7);
      const port = await freePort();
      const env = Object.fromEntries(config.config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      child = spawn('qemu-aarch64-static', ['-L', rootfs, join(rootfs, entry!), ...entryArgs, ...config.config.Cmd], {
        cwd: join(rootfs, config.config.WorkingDir),
        env: { ...env, UI_DIR: join(rootfs, 'app', 'public'), APP_ROLE: 'api', PORT: String(port), APP_CALLBACK_PORT: String(await freePort()), HOST: '127.0.0.1' },
        stdio: 'ignore',
      });
      const body = await waitFor('the arm64 app answering /healthz', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        return r.status === 200 ? ((await r.json()) as { status: string }) : undefined;
      }, 90_000);
      expect(body.status).toBe('ok');
    } finally {
      child?.kill('SIGKILL');
      rmSync(rootfs, { recursive: true, force: true });
      rmSync(cfg.dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('the worker killed (SIGKILL) during verify-events: the lost probes are named; a re-run passes once it is back', async () => {
    const kafka = stack.kafka();
    const inputs = { brokers: kafka.sasl, 'sasl-mechanism': 'scram-sha-256', username: kafka.username, password: kafka.password, tls: 'false', 'pubsub-name': 'pubsub', 'app-id': 'todo-worker', 'probe-topic': 'task-events', 'reply-topic': 'task-updates', 'dead-letter-topic': 'task-events-dlq', probes: '200', concurrency: '1', timeout: '8s' };
    const worker = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=worker' })).items.find((p) => !p.metadata?.deletionTimestamp)!;
    const containers = (worker.status?.containerStatuses ?? []).map((c) => (c.containerID ?? '').replace(/^containerd:\/\//, '')).filter(Boolean);
    expect(containers).toHaveLength(2);
    const restartsBefore = (worker.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    const during = runActionBundle('verify-events', 'main', inputs, { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 2000));
    // A crash, not a graceful stop: both containers (the worker and its daprd) get SIGKILL from containerd.
    for (const id of containers) {
      execFileSync('/usr/bin/ctr', ['--address', String(component('node').endpoints.containerd).replace(/^unix:\/\//, ''), '-n', 'k8s.io', 'tasks', 'kill', '--signal', 'SIGKILL', id]);
    }
    const failed = await during;
    expect(failed.code).not.toBe(0);
    expect(Number(failed.outputs.acknowledged)).toBeLessThan(Number(failed.outputs.sent));
    expect(failed.stdout).toMatch(/::error[^\n]*(not acknowledged|not consumed|never acknowledged)/);
    const report = JSON.parse(readFileSync(failed.outputs['report-path']!, 'utf8')) as { probes: Array<{ id: string; acknowledged?: boolean; latencyMs?: number }> };
    expect(report.probes.length).toBeGreaterThan(0);

    await waitFor('the worker restarted and Ready', async () => {
      const p = await core.readNamespacedPod({ name: worker.metadata!.name!, namespace: NS });
      const statuses = p.status?.containerStatuses ?? [];
      return statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0) > restartsBefore && statuses.every((c) => c.ready) ? true : undefined;
    }, 120_000);
    const again = await runActionBundle('verify-events', 'main', { ...inputs, probes: '5', timeout: '60s' }, { timeoutMs: 120_000 });
    if (again.code !== 0) throw new Error(`the re-run failed:\n${again.stdout}`);
    expect(again.outputs.acknowledged).toBe('5');
  }, 300_000);

  it('the image step fails naming the problem: a registry that refuses the push, an index without arm64', async () => {
    const args = {
      IMAGE: imageRef.split('@')[0]!,
      TAG: 'refused',
      TLS_VERIFY: 'false',
      BUILD_ARGS: Object.entries(component('app-base').details?.buildArgs as Record<string, string>).map(([k, v]) => `${k}=${v}`).join('\n'),
      REGISTRY_USERNAME: regUser,
      REGISTRY_PASSWORD: 'not-the-password',
      PLATFORMS: 'linux/amd64',
    };
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const refused = spawnSync(tsx, ['scripts/deploy/image.ts', 'build'], { cwd: root, env: { ...process.env, ...args }, encoding: 'utf8', timeout: 300_000 });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/::error title=app image::the registry refused the push of localhost:\d+\/apps\/todo:refused \(the registry refused the credentials/);
    // ::add-mask:: is how the runner learns to mask it (it consumes the line); nothing else may show it.
    expect(refused.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain('not-the-password');

    const single = spawnSync(tsx, ['scripts/deploy/image.ts', 'build'], { cwd: root, env: { ...process.env, ...args, TAG: 'amd64-only', REGISTRY_PASSWORD: regPassword }, encoding: 'utf8', timeout: 300_000 });
    expect(single.status).toBe(0);
    const ref = /^ref=(.*)$/m.exec(single.stdout)?.[1] ?? '';
    const check = spawnSync(tsx, ['scripts/deploy/image.ts', 'verify'], { cwd: root, env: { ...process.env, IMAGE_REF: ref, TLS_VERIFY: 'false', REGISTRY_USERNAME: regUser, REGISTRY_PASSWORD: regPassword, PLATFORMS: 'linux/amd64,linux/arm64' }, encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(`::error title=app image::${ref} offers linux/amd64 but the target needs linux/arm64 too`);
  }, 600_000);
});

describe('verify-events rollback-on-failure on the release the local deploy made', () => {
  rollbackSuite();
});
