import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessManager, SpawnOptions } from './types.js';

/** Alive and not a zombie (an exited child waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
  } catch {
    // no /proc (not Linux) or already gone: fall through to kill(0)
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Detached processes with pid files: `<stateDir>/pids/<name>.pid`, logs in `<stateDir>/logs/<name>.log`.
 * Each process leads its own process group, so stop() signals the group: a wrapper and its children
 * stop together, and nothing the stack did not start is ever signalled.
 */
export class PidFileProcessManager implements ProcessManager {
  private readonly pidDir: string;
  private readonly logDir: string;

  constructor(stateDir: string) {
    this.pidDir = join(stateDir, 'pids');
    this.logDir = join(stateDir, 'logs');
  }

  logFile(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  private pidFile(name: string): string {
    return join(this.pidDir, `${name}.pid`);
  }

  /** The pid file holds the pid and, on its second line, the signal that stops the process cleanly. */
  private record(name: string): { pid: number; signal: NodeJS.Signals } | undefined {
    const file = this.pidFile(name);
    if (!existsSync(file)) return undefined;
    const [pidLine = '', signal = 'SIGTERM'] = readFileSync(file, 'utf8').trim().split('\n');
    const pid = Number.parseInt(pidLine, 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, signal: signal as NodeJS.Signals } : undefined;
  }

  pid(name: string): number | undefined {
    return this.record(name)?.pid;
  }

  async spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): Promise<number> {
    if (this.isRunning(name)) throw new Error(`stack: process "${name}" is already running (pid ${this.pid(name)})`);
    mkdirSync(this.pidDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    const out = openSync(this.logFile(name), 'a');
    try {
      const child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', out, out],
        env: options.env ?? process.env,
        cwd: options.cwd,
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', (err) => reject(new Error(`stack: cannot start ${name} (${command}): ${err.message}`)));
        child.once('spawn', () => resolve(child.pid as number));
      });
      child.unref();
      writeFileSync(this.pidFile(name), `${pid}\n${options.stopSignal ?? 'SIGTERM'}\n`);
      return pid;
    } finally {
      closeSync(out);
    }
  }

  isRunning(name: string): boolean {
    const pid = this.pid(name);
    return pid !== undefined && isAlive(pid);
  }

  async stop(name: string, graceMs = 10_000): Promise<void> {
    const rec = this.record(name);
    const pid = rec?.pid;
    if (rec && pid !== undefined && isAlive(pid)) {
      signalGroup(pid, rec.signal);
      const deadline = Date.now() + graceMs;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(pid)) {
        signalGroup(pid, 'SIGKILL');
        while (isAlive(pid)) await sleep(50);
      }
    }
    rmSync(this.pidFile(name), { force: true });
  }

  list(): string[] {
    if (!existsSync(this.pidDir)) return [];
    return readdirSync(this.pidDir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => f.slice(0, -'.pid'.length));
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
