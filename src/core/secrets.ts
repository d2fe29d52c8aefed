/**
 * Secrets are masked where they are born: call `secrets.add(value)` the moment a secret is read or
 * minted, before it is logged, exported or written. Each line of a multi-line value is registered on
 * its own, because the runner masks line by line.
 */
export type MaskFn = (value: string) => void;

/** Lines shorter than this are not masked on their own (a lone `}` or `-----` would mask half the log). */
const MIN_LINE = 4;

export class Secrets {
  private readonly values = new Set<string>();

  constructor(private readonly mask: MaskFn = () => undefined) {}

  /** Registers a secret (and each of its lines); returns the value for convenient chaining. */
  add(value: string | undefined): string | undefined {
    if (value === undefined || value.trim() === '') return value;
    for (const part of [value, ...value.split(/\r?\n/).map((l) => l.trim())]) {
      if (part.length >= MIN_LINE && !this.values.has(part)) {
        this.values.add(part);
        this.mask(part);
      }
    }
    return value;
  }

  /** Every registered value, longest first (so a line never masks only part of the whole). */
  list(): string[] {
    return [...this.values].sort((a, b) => b.length - a.length);
  }

  /** Replaces every registered value in text with ***. For output that leaves through our own code. */
  redact(text: string): string {
    let out = text;
    for (const v of this.list()) out = out.split(v).join('***');
    return out;
  }
}
