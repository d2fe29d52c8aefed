import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, defaultPorts, repoRoot, stateDir } from './config.js';
import { PidFileProcessManager } from './proc.js';
import type { Component, ComponentStatus, Logger, StackContext } from './types.js';
import { components } from './components/index.js';

export interface StackStatus {
  healthy: boolean;
  components: Record<string, ComponentStatus>;
}

export function createContext(log: Logger, env: NodeJS.ProcessEnv = process.env): StackContext {
  const state = stateDir(env);
  mkdirSync(state, { recursive: true });
  return {
    root: repoRoot,
    stateDir: state,
    cacheDir: cacheDir(env),
    ports: defaultPorts,
    procs: new PidFileProcessManager(state),
    log,
  };
}

/** Components in dependency order, limited to `names` (and what they depend on) when given. */
export function select(names: string[] = []): Component[] {
  const byName = new Map(components.map((c) => [c.name, c]));
  for (const n of names) {
    if (!byName.has(n)) throw new Error(`unknown stack component "${n}"; known: ${[...byName.keys()].join(', ')}`);
  }
  const wanted = new Set<string>();
  const add = (n: string): void => {
    if (wanted.has(n)) return;
    wanted.add(n);
    for (const d of byName.get(n)?.dependsOn ?? []) add(d);
  };
  (names.length ? names : [...byName.keys()]).forEach(add);
  return components.filter((c) => wanted.has(c.name));
}

export async function statusOf(ctx: StackContext, list: Component[] = components): Promise<StackStatus> {
  const entries = await Promise.all(
    list.map(async (c): Promise<[string, ComponentStatus]> => {
      try {
        return [c.name, await c.status(ctx)];
      } catch (err) {
        return [c.name, { healthy: false, endpoints: {}, problem: (err as Error).message }];
      }
    }),
  );
  const result = Object.fromEntries(entries);
  return { healthy: entries.every(([, s]) => s.healthy), components: result };
}

/** Where tests and benchmarks read endpoints from (test/support/stack.ts). */
export function writeStatus(ctx: StackContext, status: StackStatus): void {
  writeFileSync(join(ctx.stateDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
}

export interface UpReport {
  seconds: Record<string, number>;
  status: StackStatus;
}

/** Installs and starts each component in order; idempotent (healthy components are left alone). */
export async function up(ctx: StackContext, names: string[] = []): Promise<UpReport> {
  const seconds: Record<string, number> = {};
  for (const c of select(names)) {
    const t0 = performance.now();
    ctx.log.info(`[${c.name}] install`);
    await c.install(ctx);
    ctx.log.info(`[${c.name}] start`);
    await c.start(ctx);
    seconds[c.name] = Math.round(performance.now() - t0) / 1000;
    ctx.log.info(`[${c.name}] ready in ${seconds[c.name]} s`);
  }
  const status = await statusOf(ctx, select(names));
  if (names.length === 0) writeStatus(ctx, status);
  return { seconds, status };
}

/** The components named and every component that depends on them (what `down` of those names stops). */
export function withDependents(names: string[]): Component[] {
  if (names.length === 0) return components;
  select(names); // unknown names fail the same way as for `up`
  const gone = new Set(names);
  for (const c of components) if (c.dependsOn?.some((d) => gone.has(d))) gone.add(c.name);
  return components.filter((c) => gone.has(c.name));
}

/** Stops exactly the processes the stack started (by pid file), components in reverse order. */
export async function down(ctx: StackContext, names: string[] = []): Promise<string[]> {
  const stopped: string[] = [];
  for (const c of [...withDependents(names)].reverse()) {
    if (c.stop) {
      stopped.push(...(await c.stop(ctx)));
      continue;
    }
    for (const p of [...c.processes(ctx)].reverse()) {
      if (ctx.procs.isRunning(p)) stopped.push(p);
      await ctx.procs.stop(p);
    }
  }
  if (names.length === 0) {
    // Pid files of processes no component claims any more (a renamed process, an older checkout).
    for (const p of ctx.procs.list()) {
      if (ctx.procs.isRunning(p)) stopped.push(p);
      await ctx.procs.stop(p);
    }
  }
  return stopped;
}
