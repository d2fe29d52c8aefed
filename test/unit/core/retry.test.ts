import { retry, RetryError } from '../../../src/core/retry.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** A fake clock whose sleep advances time instantly. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return { now: () => t, sleep: async (ms: number) => { sleeps.push(Math.round(ms)); t += ms; }, sleeps };
}

describe('retry', () => {
  it('returns the first success and logs each failed attempt with its label', async () => {
    const clock = fakeClock();
    const log = new RecordingLogger();
    let calls = 0;
    const value = await retry(async () => {
      calls++;
      if (calls < 3) throw new Error(`flaky ${calls}`);
      return 'ok';
    }, { label: 'listing topics', attempts: 5, initialDelayMs: 100, sleep: clock.sleep, now: clock.now, random: () => 0.5, log });
    expect(value).toBe('ok');
    expect(clock.sleeps).toEqual([100, 200]);
    expect(log.lines).toEqual([
      'listing topics: attempt 1 of 5 failed (flaky 1); retrying in 100 ms',
      'listing topics: attempt 2 of 5 failed (flaky 2); retrying in 200 ms',
    ]);
  });

  it('gives up after the last attempt with the label and the cause', async () => {
    const clock = fakeClock();
    const err = await retry(async () => { throw new Error('refused'); }, { label: 'connecting', attempts: 3, initialDelayMs: 10, sleep: clock.sleep, now: clock.now, random: () => 0.5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect((err as RetryError).message).toBe('connecting: gave up after 3 attempts: refused');
    expect((err as RetryError).attempts).toBe(3);
  });

  it('stops at the overall deadline rather than sleeping past it', async () => {
    const clock = fakeClock();
    const err = await retry(async () => { throw new Error('down'); }, { label: 'x', attempts: 100, initialDelayMs: 1000, maxDelayMs: 4000, deadlineMs: 5000, sleep: clock.sleep, now: clock.now, random: () => 0.5 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/deadline of 5000 ms reached/);
    expect(clock.sleeps).toEqual([1000, 2000]);
    expect(clock.now()).toBeLessThanOrEqual(5000);
  });

  it('does not retry an error the predicate refuses', async () => {
    let calls = 0;
    const fatal = new Error('SASL authentication failed');
    await expect(retry(async () => { calls++; throw fatal; }, { label: 'x', attempts: 5, initialDelayMs: 1, retryable: (e) => !(e as Error).message.includes('SASL') })).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const clock = fakeClock();
    await retry(async (attempt) => { if (attempt < 6) throw new Error('e'); }, { label: 'x', attempts: 6, initialDelayMs: 100, maxDelayMs: 500, sleep: clock.sleep, now: clock.now, random: () => 0.5 });
    expect(clock.sleeps).toEqual([100, 200, 400, 500, 500]);
  });
});
