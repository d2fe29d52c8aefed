import { SafeRunner, exitText } from '../../../src/core/exec.js';
import { Secrets } from '../../../src/core/secrets.js';
import { RecordingLogger } from '../../support/recording-logger.js';

const sh = (script: string): [string, string[]] => ['/bin/sh', ['-c', script]];

describe('SafeRunner', () => {
  const setup = () => {
    const log = new RecordingLogger();
    const secrets = new Secrets(() => undefined);
    secrets.add('hunter2');
    return { log, runner: new SafeRunner(log, secrets) };
  };

  it('returns the output, exit code 0, no signal; feeds input on stdin', async () => {
    const { runner } = setup();
    const r = await runner.run(...sh('cat; echo err >&2'), { input: 'hello\n' });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'hello\n', stderr: 'err\n' });
    expect(r.signal).toBeUndefined();
  });

  it('a non-zero exit throws with the code and the last lines, redacted', async () => {
    const { runner } = setup();
    await expect(runner.run(...sh('echo token=hunter2 >&2; exit 3'))).rejects.toThrow(/exited with code 3:\ntoken=\*\*\*/);
    const r = await runner.run(...sh('exit 3'), { allowFailure: true });
    expect(r.exitCode).toBe(3);
  });

  it('names the signal that killed the program, and reports 128 + its number as the exit code', async () => {
    const { runner } = setup();
    const r = await runner.run(...sh('kill -KILL $$'), { allowFailure: true });
    expect(r).toMatchObject({ signal: 'SIGKILL', exitCode: 137 });
    await expect(runner.run(...sh('kill -TERM $$'))).rejects.toThrow(/was killed by SIGTERM/);
    expect(exitText({ exitCode: 2 })).toBe('exited with code 2');
  });

  it('streams every line (the last one without a newline too) to the log, redacted; the command line is logged redacted', async () => {
    const { runner, log } = setup();
    await runner.run(...sh('printf "one\\npass=hunter2\\nlast"'), { stream: true });
    expect(log.lines).toEqual(expect.arrayContaining(['one', 'pass=***', 'last']));
    await runner.run('/bin/echo', ['hunter2']);
    expect(log.text()).not.toContain('hunter2');
  });

  it('passes only the given environment and the working directory', async () => {
    const { runner } = setup();
    const r = await runner.run(...sh('echo "$ONLY:$HOME:$(pwd)"'), { env: { ONLY: 'yes', HOME: undefined, PATH: process.env.PATH }, cwd: '/tmp' });
    expect(r.stdout.trim()).toBe('yes::/tmp');
  });

  it('a program that does not exist is an OperationError with a hint', async () => {
    const { runner } = setup();
    await expect(runner.run('/nonexistent/helm', ['version'])).rejects.toMatchObject({ name: 'OperationError', hint: expect.stringMatching(/installed and on PATH/) });
  });
});
