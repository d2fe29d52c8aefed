/** What logic modules log through. They never import @actions/core: the action entry passes one in. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

/** Drops everything: for code paths whose logging a caller does not want. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  startGroup: () => undefined,
  endGroup: () => undefined,
};
