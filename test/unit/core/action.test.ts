import { failureMessage, runAction } from '../../../src/core/action.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Secrets } from '../../../src/core/secrets.js';
import { FakeActionEnv } from '../../support/fake-action-env.js';

const SECRET = 's3cr3t-Pa55';

/** How an entry's outcome becomes the step's result: failed or not, the message, the summary's heading. */
describe('runAction', () => {
  it.each([
    {
      name: 'a configuration error: "Invalid input", the message alone, no stack in the log',
      error: new ConfigurationError({ input: 'timeout', problem: '"5" is not a duration', fix: 'write 90s' }),
      message: 'timeout: "5" is not a duration. Fix: write 90s',
      heading: '## t: invalid input',
      debugStack: false,
    },
    {
      name: 'several configuration problems: all of them, in one failure',
      error: new ConfigurationError([
        { input: 'a', problem: 'bad', fix: 'fix a' },
        { input: 'b', problem: 'worse', fix: 'fix b' },
      ]),
      message: '2 problems:\n- a: bad. Fix: fix a\n- b: worse. Fix: fix b',
      heading: '## t: invalid input',
      debugStack: false,
    },
    {
      name: 'an operation error: "Failed", the message and the hint as Next:',
      error: new OperationError('helm upgrade failed', { hint: 'read the Diagnostics group' }),
      message: 'helm upgrade failed\nNext: read the Diagnostics group',
      heading: '## t: failed',
      debugStack: true,
    },
    {
      name: 'an operation error without a hint: no Next line',
      error: new OperationError('listing topics failed'),
      message: 'listing topics failed',
      heading: '## t: failed',
      debugStack: true,
    },
    {
      name: 'any other error (a bug): its message, the stack kept for debug logging',
      error: new TypeError('x is undefined'),
      message: 'x is undefined',
      heading: '## t: failed',
      debugStack: true,
    },
    {
      name: 'a thrown non-error value: printed as text',
      error: 'plain string',
      message: 'plain string',
      heading: '## t: failed',
      debugStack: false,
    },
    {
      name: 'a registered secret in the message or the hint: redacted everywhere',
      error: new OperationError(`login with ${SECRET} refused`, { hint: `rotate ${SECRET}` }),
      message: 'login with *** refused\nNext: rotate ***',
      heading: '## t: failed',
      debugStack: true,
    },
  ])('$name', async ({ error, message, heading, debugStack }) => {
    const env = new FakeActionEnv();
    env.secrets.add(SECRET);
    await runAction('t', () => Promise.reject(error), env);
    expect(env.failed).toBe(message);
    expect(env.summary).toContain(heading);
    expect(env.summary).toContain(message.split('\n')[0]);
    expect(env.everything() + (env.failed ?? '')).not.toContain(SECRET);
    expect(env.log.lines.some((l) => l.startsWith('debug: ') && l.includes('    at '))).toBe(debugStack);
  });

  it('a body that succeeds leaves the step passing and writes no failure summary', async () => {
    const env = new FakeActionEnv();
    await runAction('t', async (e) => e.setOutputs({ ok: true }), env);
    expect(env.failed).toBeUndefined();
    expect(env.outputs).toEqual({ ok: 'true' });
    expect(env.summary).toBe('');
  });

  it('the summary of a failure lists the timings recorded before it', async () => {
    const env = new FakeActionEnv();
    await runAction(
      't',
      async (e) => {
        e.timings.record('Resolve helm', 1234, true);
        throw new OperationError('boom');
      },
      env,
    );
    expect(env.summary).toContain('Resolve helm');
  });
});

describe('failureMessage', () => {
  it('redacts every registered secret, each line of a multi-line one too', () => {
    const secrets = new Secrets(() => undefined);
    secrets.add('line-one\nline-two');
    expect(failureMessage(new Error('got line-two back'), secrets)).toBe('got *** back');
  });
});
