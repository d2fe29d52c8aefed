/** Builds the job summary as Markdown. Pure: the action layer writes it (after redaction). */
import { ConfigurationError, errorMessage, OperationError } from './errors.js';

export type Cell = string | number | boolean | undefined | null;

function cell(value: Cell): string {
  if (value === undefined || value === null) return '';
  return String(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export class SummaryBuilder {
  private readonly parts: string[] = [];

  heading(text: string, level: 2 | 3 | 4 = 2): this {
    this.parts.push(`${'#'.repeat(level)} ${text}`);
    return this;
  }

  paragraph(text: string): this {
    this.parts.push(text);
    return this;
  }

  list(items: string[]): this {
    if (items.length) this.parts.push(items.map((i) => `- ${i}`).join('\n'));
    return this;
  }

  table(headers: string[], rows: Cell[][]): this {
    const lines = [`| ${headers.map(cell).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${headers.map((_, i) => cell(r[i])).join(' | ')} |`)];
    this.parts.push(lines.join('\n'));
    return this;
  }

  code(text: string, language = ''): this {
    const fence = text.includes('```') ? '~~~~' : '```';
    this.parts.push(`${fence}${language}\n${text}\n${fence}`);
    return this;
  }

  details(title: string, body: string): this {
    this.parts.push(`<details><summary>${cell(title)}</summary>\n\n${body}\n\n</details>`);
    return this;
  }

  /** What failed (or which input to fix) and what to look at next, worded as the step's failure is. */
  failure(err: unknown): this {
    this.heading(err instanceof ConfigurationError ? 'Invalid input' : 'What failed', 3).code(errorMessage(err));
    if (err instanceof OperationError && err.hint) this.paragraph(`**Next:** ${err.hint}`);
    return this;
  }

  timings(steps: ReadonlyArray<{ name: string; ms: number; ok: boolean }>): this {
    if (!steps.length) return this;
    return this.table(['Step', 'Result', 'Time'], steps.map((s) => [s.name, s.ok ? 'ok' : 'failed', `${(s.ms / 1000).toFixed(1)} s`]));
  }

  toMarkdown(): string {
    return `${this.parts.join('\n\n')}\n`;
  }
}
