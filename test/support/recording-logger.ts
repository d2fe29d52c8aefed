import type { Logger } from '../../src/core/log.js';

/** Records every line a logic module logs, so tests can read the log like a user would. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  debug = (m: string): void => void this.lines.push(`debug: ${m}`);
  info = (m: string): void => void this.lines.push(m);
  warning = (m: string): void => void this.lines.push(`warning: ${m}`);
  error = (m: string): void => void this.lines.push(`error: ${m}`);
  startGroup = (n: string): void => void this.lines.push(`::group::${n}`);
  endGroup = (): void => void this.lines.push('::endgroup::');

  text(): string {
    return this.lines.join('\n');
  }
}
