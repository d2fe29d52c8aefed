/** Typed outputs: each action declares its output type; values are rendered the same way everywhere. */
export type OutputValue = string | number | boolean | readonly unknown[] | Record<string, unknown> | undefined;
export type OutputSink = (name: string, value: string) => void;

export function renderOutput(value: Exclude<OutputValue, undefined>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Sets every defined output. An output that contains a registered secret is a bug in the action:
 * it is refused rather than written (the runner would mask it, but the value would still be exported).
 */
export function setOutputs<T extends { [K in keyof T]: OutputValue }>(sink: OutputSink, values: T, secrets: readonly string[] = []): void {
  for (const [name, value] of Object.entries(values) as Array<[string, OutputValue]>) {
    if (value === undefined) continue;
    const text = renderOutput(value);
    if (secrets.some((s) => s.length > 0 && text.includes(s))) throw new Error(`bug: output "${name}" would contain a secret value; it was not set`);
    sink(name, text);
  }
}
