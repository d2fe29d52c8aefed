/**
 * Two kinds of failure. A ConfigurationError is something the user must change (an input, a file):
 * it names the input, says what is wrong and how to fix it, with file and line for YAML. Anything
 * else is an operational failure: wrap it with context as it travels up, and end with a hint.
 */
export interface Location {
  file: string;
  line?: number;
  column?: number;
}

export interface ConfigurationProblem {
  /** The action input (or file field) at fault, e.g. `timeout` or `topics[2].partitions`. */
  input: string;
  /** What is wrong with the value. */
  problem: string;
  /** What to do instead. */
  fix: string;
  location?: Location;
}

export function formatLocation(loc: Location): string {
  return `${loc.file}${loc.line !== undefined ? `:${loc.line}` : ''}${loc.column !== undefined ? `:${loc.column}` : ''}`;
}

function formatProblem(p: ConfigurationProblem): string {
  const where = p.location ? `${formatLocation(p.location)}: ` : '';
  return `${where}${p.input}: ${p.problem}. Fix: ${p.fix}`;
}

export class ConfigurationError extends Error {
  readonly problems: ConfigurationProblem[];

  constructor(problems: ConfigurationProblem | ConfigurationProblem[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    if (list.length === 0) throw new Error('ConfigurationError needs at least one problem');
    super(list.length === 1 ? formatProblem(list[0]!) : `${list.length} problems:\n${list.map((p) => `- ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigurationError';
    this.problems = list;
  }
}

/** An operational failure with the step that failed and what to look at next. */
export class OperationError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'OperationError';
    this.hint = options.hint;
  }
}

/** An error's message; for a thrown plain object (some SDKs reject with one), its `message` field or its JSON, never `[object Object]`. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message) return message;
    try {
      return JSON.stringify(err).slice(0, 500);
    } catch {
      return Object.prototype.toString.call(err);
    }
  }
  return String(err);
}

/** Collects problems so that all of an input's mistakes are reported at once, before any change. */
export class ProblemList {
  private readonly items: ConfigurationProblem[] = [];

  add(problem: ConfigurationProblem): void {
    this.items.push(problem);
  }

  /** Runs fn, turning a thrown ConfigurationError into collected problems; returns fn's value or undefined. */
  collect<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ConfigurationError) {
        err.problems.forEach((p) => this.add(p));
        return undefined;
      }
      throw err;
    }
  }

  get length(): number {
    return this.items.length;
  }

  throwIfAny(): void {
    if (this.items.length) throw new ConfigurationError(this.items);
  }
}
