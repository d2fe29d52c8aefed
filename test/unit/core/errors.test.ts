import { ConfigurationError, errorMessage, ProblemList } from '../../../src/core/errors.js';

describe('errors', () => {
  it('formats a YAML problem with file and line', () => {
    const err = new ConfigurationError({ input: 'topics[1].partitions', problem: 'must be at least 1', fix: 'set partitions to 1 or more', location: { file: 'topics.yaml', line: 12, column: 5 } });
    expect(err.message).toBe('topics.yaml:12:5: topics[1].partitions: must be at least 1. Fix: set partitions to 1 or more');
  });

  it('lists every collected problem at once', () => {
    const list = new ProblemList();
    list.collect(() => {
      throw new ConfigurationError({ input: 'a', problem: 'bad', fix: 'fix a' });
    });
    list.add({ input: 'b', problem: 'worse', fix: 'fix b' });
    expect(list.length).toBe(2);
    expect(() => list.throwIfAny()).toThrow('2 problems:\n- a: bad. Fix: fix a\n- b: worse. Fix: fix b');
  });

  it('ProblemList.collect rethrows errors that are not configuration problems', () => {
    expect(() => new ProblemList().collect(() => { throw new TypeError('boom'); })).toThrow(TypeError);
  });

  it.each([
    [new Error('boom'), 'boom'],
    ['text', 'text'],
    [{ message: 'from an SDK', statusCode: -1 }, 'from an SDK'],
    [{ statusCode: 503 }, '{"statusCode":503}'],
    [42, '42'],
  ])('errorMessage(%j) is %j, never [object Object]', (err, text) => expect(errorMessage(err)).toBe(text));
});
