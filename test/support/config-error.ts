import { ConfigurationError } from '../../src/core/errors.js';

/** Runs fn and returns the ConfigurationError it throws (fails the test when it throws nothing or something else). */
export function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError, got none');
}

/** The same for an async fn: the ConfigurationError its promise rejects with. */
export async function configErrorOf(fn: () => Promise<unknown>): Promise<ConfigurationError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError, got none');
}
