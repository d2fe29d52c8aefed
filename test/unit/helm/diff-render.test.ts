import type { ReleaseDiff, ResourceChange } from '../../../src/helm/diff.js';
import { capText, countsLine, countChanges, renderDiffMarkdown, renderDiffText, secretKeysLine } from '../../../src/helm/diff-render.js';

const change = (title: string, lines: string[], extra: Partial<ResourceChange> = {}): ResourceChange => ({ action: 'change', kind: title.split('/')[0]!, name: title.split('/')[1]!, title, lines, ...extra });
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

const small: ReleaseDiff = {
  unchanged: 2,
  changes: [
    change('Deployment/web', ['@@ -1,1 +1,1 @@', '-  replicas: 1', '+  replicas: 3']),
    change('Secret/db', ['@@ -1,1 +1,1 @@', '+  token: (hidden)'], { secretKeys: { added: ['token'], removed: [], changed: ['password'] } }),
    { action: 'add', kind: 'ConfigMap', name: 'c', title: 'ConfigMap/c', lines: ['@@ -0,0 +1,1 @@', '+kind: ConfigMap'] },
    { action: 'unknown', kind: 'Role', name: 'r', title: 'Role/r', lines: [], note: 'could not read it from the cluster: HTTP 403' },
  ],
};

describe('diff rendering', () => {
  it('counts and words', () => {
    expect(countsLine(countChanges(small))).toBe('2 changed, 1 added, 0 removed, 2 unchanged, 1 not compared');
    expect(secretKeysLine(small.changes[1]!)).toBe('Secret data (values are never shown): keys added: token; changed: password');
    expect(secretKeysLine(change('Secret/x', [], { secretKeys: { added: [], removed: [], changed: [] } }))).toBe('Secret data (values are never shown): no key added, removed or changed');
    expect(secretKeysLine(small.changes[0]!)).toBeUndefined();
  });

  it('the text diff holds every resource, its notes and hunks', () => {
    const text = renderDiffText(small, 'Diff of release r in namespace n');
    expect(text.split('\n')).toEqual([
      '# Diff of release r in namespace n: 2 changed, 1 added, 0 removed, 2 unchanged, 1 not compared',
      '',
      '### ~ Deployment/web (changed)',
      '@@ -1,1 +1,1 @@',
      '-  replicas: 1',
      '+  replicas: 3',
      '',
      '### ~ Secret/db (changed)',
      '# Secret data (values are never shown): keys added: token; changed: password',
      '@@ -1,1 +1,1 @@',
      '+  token: (hidden)',
      '',
      '### + ConfigMap/c (added)',
      '@@ -0,0 +1,1 @@',
      '+kind: ConfigMap',
      '',
      '### ? Role/r (not compared)',
      '# could not read it from the cluster: HTTP 403',
      '',
    ]);
  });

  it('Markdown: one collapsed section per resource, nothing cut when it fits', () => {
    const r = renderDiffMarkdown(small, { budget: 100_000, title: 'Diff', fullDiffAt: 'the file' });
    expect(r).toMatchObject({ shown: 4, total: 4, cut: false });
    expect(r.markdown.match(/<details>/g)).toHaveLength(4);
    expect(r.markdown).toContain('<details><summary><code>~ Deployment/web</code> changed</summary>\n\n```diff\n@@ -1,1 +1,1 @@\n-  replicas: 1\n+  replicas: 3\n```\n\n</details>');
    expect(r.markdown).not.toContain('Diff cut');
  });

  it('Markdown: a fence longer than any backtick run in the diff', () => {
    const r = renderDiffMarkdown({ unchanged: 0, changes: [change('ConfigMap/md', ['+  readme: |', '+    ```sh', '+    ````'])] }, { budget: 10_000, title: 'Diff', fullDiffAt: 'f' });
    expect(r.markdown).toContain('`````diff\n');
  });

  it('Markdown: nothing to change says so', () => {
    expect(renderDiffMarkdown({ unchanged: 3, changes: [] }, { budget: 1000, title: 'Diff', fullDiffAt: 'f' }).markdown).toBe('### Diff\n\n0 changed, 0 added, 0 removed, 3 unchanged: the upgrade changes nothing\n');
  });

  it.each([20_000, 50_000, 200 * 1024])('Markdown over a budget of %i bytes: cut with a marker, within the budget', (budget) => {
    const big = (i: number) => change(`ConfigMap/big-${i}`, ['@@ -1,3000 +1,3000 @@', ...Array.from({ length: 3000 }, (_, j) => `+    line ${j} of a huge value ${'x'.repeat(20)}`)]);
    const diff: ReleaseDiff = { unchanged: 0, changes: [change('Deployment/web', ['-a', '+b']), ...Array.from({ length: 10 }, (_, i) => big(i))] };
    const r = renderDiffMarkdown(diff, { budget, title: 'Diff', fullDiffAt: 'the file named by the step output `diff-file`' });
    expect(bytes(r.markdown)).toBeLessThanOrEqual(budget);
    expect(r.cut).toBe(true);
    expect(r.total).toBe(11);
    expect(r.shown).toBeLessThan(11);
    expect(r.markdown).toContain(`**Diff cut:** ${r.shown} of 11 changed resource(s) shown in full, to stay under the size limit; the full diff is in the file named by the step output \`diff-file\`.`);
    // The first resource that does not fit is shown in part, with a line that says so.
    expect(r.markdown).toMatch(/\.\.\. \d+ more line\(s\) cut here; the file output has them/);
    expect(r.markdown).toContain('~ Deployment/web');
  });

  it('Markdown: a prefix (the comment\'s hidden marker) comes first', () => {
    expect(renderDiffMarkdown(small, { budget: 10_000, title: 'T', fullDiffAt: 'f', prefix: '<!-- m -->\n' }).markdown.startsWith('<!-- m -->\n### T\n')).toBe(true);
  });

  it.each([
    ['fits', 'a\nb\n', 100, 'a\nb\n', false],
    ['cut on a line boundary with the marker', `${Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(13)}`).join('\n')}\n`, 120, `line 0 ${'x'.repeat(13)}\nline 1 ${'x'.repeat(13)}\n... diff cut here to stay under the output size limit; the full diff is in F\n`, true],
  ])('capText: %s', (_name, text, budget, expected, cut) => {
    const r = capText(text, budget, 'F');
    expect(r).toEqual({ text: expected, cut });
    expect(bytes(r.text)).toBeLessThanOrEqual(budget);
  });
});
