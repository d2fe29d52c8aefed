import { ConfigurationError, OperationError, ProblemList, withContext } from '../../../src/core/errors.js';

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

  it('withContext prefixes the step, keeps the hint, and leaves configuration errors alone', () => {
    const inner = new OperationError('connection refused', { hint: 'is the broker up?' });
    const outer = withContext('listing topics on 127.0.0.1:9092', inner);
    expect(outer.message).toBe('listing topics on 127.0.0.1:9092: connection refused');
    expect((outer as OperationError).hint).toBe('is the broker up?');
    const config = new ConfigurationError({ input: 'x', problem: 'p', fix: 'f' });
    expect(withContext('ctx', config)).toBe(config);
  });
});
