/**
 * The runner's command protocol, which is all the entries need of @actions/core: workflow commands on stdout
 * (`::add-mask::`, `::error::`, `::group::` ...) and file commands appended to the files the runner names in
 * GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV and GITHUB_PATH (`name<<ghadelimiter_<random>` blocks), written the
 * way @actions/core 3 writes them. Why not @actions/core itself: importing it evaluates its OIDC client's HTTP
 * stack (undici, ~1 MB of modules), ~40 ms on every start, more than a bare Node start (~22 ms); every entry
 * loads this module before its first input check.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { EOL } from 'node:os';
import { delimiter as PATH_DELIMITER } from 'node:path';

let directStdout = true;

/**
 * Writes to stdout. Until useStdoutStream() (or a write the pipe refuses), straight to file descriptor 1: the
 * first use of process.stdout builds a stream (loading node:stream and node:net), ~2 ms of every start, and a run
 * that stops at an input error writes a line or two. Afterwards through process.stdout, as everything else in
 * the process writes: two writers on one pipe could split each other's lines (an ::add-mask:: line cut in two
 * masks nothing), so the switch comes before any other code runs (defineAction: before the work is loaded).
 */
export function writeStdout(text: string): void {
  if (!directStdout) {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch {
    // EAGAIN (a full non-blocking pipe) or anything else: the rest goes through the stream, which queues it.
    directStdout = false;
    process.stdout.write(bytes.subarray(written));
  }
}

/** From now on, stdout through process.stdout (see writeStdout). */
export function useStdoutStream(): void {
  directStdout = false;
}

/** A workflow command's message: %, CR and LF escaped so the command stays on one line. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: as escapeData, plus the `:` and `,` that delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line (without the line end): `::name key=value,...::message`; empty properties are left out. */
export function workflowCommand(name: string, message = '', properties: Record<string, string | undefined> = {}): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string] => !!entry[1])
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/**
 * 16 random bytes, hex. From /dev/urandom where there is one: node:crypto (and Web Crypto's global, which loads
 * most of it) adds 3-6 ms to a start, and an action that reports refused inputs in its outputs writes file
 * commands on its quickest path.
 */
export function randomHex(): string {
  try {
    const bytes = Buffer.alloc(16);
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, bytes) === bytes.length) return bytes.toString('hex');
    } finally {
      closeSync(fd);
    }
  } catch {
    // no /dev/urandom (Windows): Web Crypto below
  }
  return globalThis.crypto.randomUUID().replace(/-/g, '');
}

/** A file command's `name<<delimiter` block, with a fresh random delimiter that neither the name nor the value contains. */
export function keyValueBlock(name: string, value: string, newDelimiter: () => string = () => `ghadelimiter_${randomHex()}`): string {
  const delimiter = newDelimiter();
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`file command ${name}: the name or value contains the delimiter ${delimiter}`);
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`;
}

type FileCommand = 'OUTPUT' | 'STATE' | 'ENV' | 'PATH';

/**
 * The runner commands of one step. `env` is the step's environment (read for the command files and STATE_*,
 * updated by exportVariable and addPath as @actions/core updates process.env); `write` is stdout.
 */
export class RunnerCommands {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly write: (text: string) => void = writeStdout,
    private readonly setExitCode: (code: number) => void = (code) => void (process.exitCode = code),
  ) {}

  private issue(name: string, message = '', properties: Record<string, string | undefined> = {}): void {
    this.write(`${workflowCommand(name, message, properties)}${EOL}`);
  }

  /** Appends to the file the runner names in GITHUB_<command>; false when there is no such variable (not under a runner). */
  private fileCommand(command: FileCommand, text: string): boolean {
    const file = this.env[`GITHUB_${command}`];
    if (!file) return false;
    if (!existsSync(file)) throw new Error(`GITHUB_${command} names ${file}, which does not exist`);
    appendFileSync(file, `${text}${EOL}`, { encoding: 'utf8' });
    return true;
  }

  info(message: string): void {
    this.write(`${message}${EOL}`);
  }

  debug(message: string): void {
    this.issue('debug', message);
  }

  warning(message: string): void {
    this.issue('warning', message);
  }

  error(message: string): void {
    this.issue('error', message);
  }

  startGroup(name: string): void {
    this.issue('group', name);
  }

  endGroup(): void {
    this.issue('endgroup');
  }

  /** Masks a value in the rest of the job's log. */
  setSecret(value: string): void {
    this.issue('add-mask', value);
  }

  setOutput(name: string, value: string): void {
    if (this.fileCommand('OUTPUT', keyValueBlock(name, value))) return;
    this.write(EOL);
    this.issue('set-output', value, { name });
  }

  saveState(name: string, value: string): void {
    if (!this.fileCommand('STATE', keyValueBlock(name, value))) this.issue('save-state', value, { name });
  }

  /** A value the main step saved (the runner hands it to the post step as STATE_<name>); '' when none. */
  getState(name: string): string {
    return this.env[`STATE_${name}`] || '';
  }

  /** Sets a variable for this step and the later steps of the job. */
  exportVariable(name: string, value: string): void {
    this.env[name] = value;
    if (!this.fileCommand('ENV', keyValueBlock(name, value))) this.issue('set-env', value, { name });
  }

  /** Prepends a directory to PATH for this step and the later steps of the job. */
  addPath(dir: string): void {
    if (!this.fileCommand('PATH', dir)) this.issue('add-path', dir);
    this.env.PATH = `${dir}${PATH_DELIMITER}${this.env.PATH}`;
  }

  /** Fails the step: exit code 1 and an ::error:: line with the message. */
  setFailed(message: string): void {
    this.setExitCode(1);
    this.error(message);
  }
}
