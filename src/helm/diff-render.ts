/**
 * Pure: a release diff as text (the full diff: the file output), and as Markdown capped to a byte budget (the job
 * summary, a pull-request comment, the `diff` output), one collapsed <details> per resource.
 */
import type { ReleaseDiff, ResourceChange } from './diff.js';

/** The summary's share: the job summary of a step holds at most 1 MiB, and the action writes more than the diff. */
export const SUMMARY_BUDGET = 200 * 1024;
/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_BUDGET = 60_000;
/** The `diff` output (outputs hold at most 1 MiB each). */
export const OUTPUT_BUDGET = 256 * 1024;

const VERB: Record<ResourceChange['action'], string> = { add: 'added', remove: 'removed', change: 'changed', unknown: 'not compared' };
const SIGN: Record<ResourceChange['action'], string> = { add: '+', remove: '-', change: '~', unknown: '?' };

export interface DiffCounts {
  added: number;
  removed: number;
  changed: number;
  unknown: number;
  unchanged: number;
}

export function countChanges(diff: ReleaseDiff): DiffCounts {
  const n = (a: ResourceChange['action']): number => diff.changes.filter((c) => c.action === a).length;
  return { added: n('add'), removed: n('remove'), changed: n('change'), unknown: n('unknown'), unchanged: diff.unchanged };
}

/** `2 changed, 1 added, 0 removed, 4 unchanged` (and `1 not compared` when a resource could not be read). */
export function countsLine(c: DiffCounts): string {
  return `${c.changed} changed, ${c.added} added, ${c.removed} removed, ${c.unchanged} unchanged${c.unknown ? `, ${c.unknown} not compared` : ''}`;
}

/** `keys added: a, b; removed: c; changed: d` - names only, never values. */
export function secretKeysLine(c: ResourceChange): string | undefined {
  const k = c.secretKeys;
  if (!k) return undefined;
  const parts = [
    ['added', k.added],
    ['removed', k.removed],
    ['changed', k.changed],
  ]
    .filter(([, list]) => list!.length)
    .map(([what, list]) => `${what as string}: ${(list as string[]).join(', ')}`);
  return `Secret data (values are never shown): ${parts.length ? `keys ${parts.join('; ')}` : 'no key added, removed or changed'}`;
}

/** One resource as plain text: its heading, notes, and hunks. */
function resourceText(c: ResourceChange): string[] {
  return [`### ${SIGN[c.action]} ${c.title} (${VERB[c.action]})`, ...(c.note ? [`# ${c.note}`] : []), ...(secretKeysLine(c) ? [`# ${secretKeysLine(c)}`] : []), ...c.lines];
}

/** The whole diff as text, nothing cut: what the file output holds. */
export function renderDiffText(diff: ReleaseDiff, title: string): string {
  const lines = [`# ${title}: ${countsLine(countChanges(diff))}`];
  for (const c of diff.changes) lines.push('', ...resourceText(c));
  return `${lines.join('\n')}\n`;
}

/** A code fence longer than any backtick run in the text, so a chart's own ``` cannot close it. */
function fenced(text: string, language: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function details(c: ResourceChange, lines: readonly string[], cutLines: number): string {
  const notes = [c.note, secretKeysLine(c)].filter(Boolean).map((n) => `${n}\n\n`).join('');
  const body = lines.length ? fenced([...lines, ...(cutLines ? [`... ${cutLines} more line(s) cut here; the file output has them`] : [])].join('\n'), 'diff') : '';
  return `<details><summary><code>${SIGN[c.action]} ${c.title}</code> ${VERB[c.action]}</summary>\n\n${notes}${body}\n\n</details>`;
}

export interface MarkdownOptions {
  /** The most bytes the Markdown may take (marker included). */
  budget: number;
  /** The heading and first line, e.g. `Diff of release todo in todo`. */
  title: string;
  /** Where the full diff is, named in the marker when something is cut (e.g. "the file output `diff-file`"). */
  fullDiffAt: string;
  /** Extra text at the very top (e.g. the PR comment's hidden marker). */
  prefix?: string;
}

export interface RenderedMarkdown {
  markdown: string;
  /** Resources shown whole, of how many changed. */
  shown: number;
  total: number;
  cut: boolean;
}

/**
 * Markdown of the diff that fits the budget: resources in order, each collapsed; the first one that does not fit
 * whole is shown up to what fits (when at least a few lines do), and the rest are listed by name only while
 * that fits. Anything cut ends with a marker saying how much is shown and where the full diff is.
 */
export function renderDiffMarkdown(diff: ReleaseDiff, o: MarkdownOptions): RenderedMarkdown {
  const head = `${o.prefix ?? ''}### ${o.title}\n\n${countsLine(countChanges(diff))}${diff.changes.length ? '' : ': the upgrade changes nothing'}\n`;
  const total = diff.changes.length;
  const marker = (shown: number): string => `\n**Diff cut:** ${shown} of ${total} changed resource(s) shown in full, to stay under the size limit; the full diff is in ${o.fullDiffAt}.\n`;
  const reserve = bytes(marker(total)) + 64;
  const parts: string[] = [head];
  let used = bytes(head);
  let shown = 0;
  let cut = false;
  for (const c of diff.changes) {
    const whole = `\n${details(c, c.lines, 0)}\n`;
    if (!cut && used + bytes(whole) + reserve <= o.budget) {
      parts.push(whole);
      used += bytes(whole);
      shown++;
      continue;
    }
    if (!cut) {
      cut = true;
      // As many lines as fit, when that is a useful part of it.
      const room = o.budget - used - reserve - bytes(details(c, [], 0)) - 200;
      let take = 0;
      let size = 0;
      while (take < c.lines.length && size + bytes(c.lines[take]!) + 1 <= room) size += bytes(c.lines[take++]!) + 1;
      if (take >= 5) {
        const part = `\n${details(c, c.lines.slice(0, take), c.lines.length - take)}\n`;
        parts.push(part);
        used += bytes(part);
        continue;
      }
    }
    const line = `\n- <code>${SIGN[c.action]} ${c.title}</code> ${VERB[c.action]} (not shown)\n`;
    if (used + bytes(line) + reserve <= o.budget) {
      parts.push(line);
      used += bytes(line);
    }
  }
  if (cut) parts.push(marker(shown));
  return { markdown: parts.join(''), shown, total, cut };
}

/** The `diff` output: the text diff, cut at the budget on a line boundary with a marker naming the file. */
export function capText(text: string, budget: number, fullDiffAt: string): { text: string; cut: boolean } {
  if (bytes(text) <= budget) return { text, cut: false };
  const marker = `\n... diff cut here to stay under the output size limit; the full diff is in ${fullDiffAt}\n`;
  const room = budget - bytes(marker);
  const lines = text.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + bytes(line) + 1 > room) break;
    kept.push(line);
    size += bytes(line) + 1;
  }
  return { text: `${kept.join('\n')}${marker}`, cut: true };
}
