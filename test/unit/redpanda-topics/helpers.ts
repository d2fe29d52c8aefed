export { configError, configErrorOf } from '../../support/config-error.js';

/** A topics file from lines, so tests can say which line a problem is on. */
export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
