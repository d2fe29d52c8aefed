import { diffLines, hasChanges, unifiedHunks, type LineOp } from '../../../src/helm/diff-lines.js';

const L = (s: string): string[] => (s === '' ? [] : s.split(''));
/** An edit script in one string: ` a` kept, `-a` removed, `+a` added. */
const script = (ops: LineOp[]): string => ops.map((o) => `${o.op}${o.line}`).join(' ');
/** Applying the script to a must give b, and its kept+removed lines must be a. */
function replay(ops: LineOp[]): { a: string[]; b: string[] } {
  return { a: ops.filter((o) => o.op !== '+').map((o) => o.line), b: ops.filter((o) => o.op !== '-').map((o) => o.line) };
}

describe('diffLines', () => {
  it.each<[string, string, string, number]>([
    // a, b, expected script, edits
    ['', '', '', 0],
    ['abc', 'abc', ' a  b  c', 0],
    ['', 'ab', '+a +b', 2],
    ['ab', '', '-a -b', 2],
    ['abc', 'abxc', ' a  b +x  c', 1],
    ['abxc', 'abc', ' a  b -x  c', 1],
    ['abc', 'axc', ' a -b +x  c', 2],
    ['abcabba', 'cbabac', '', 5], // Myers' paper: D = 5 (script checked by replay)
  ])('%j -> %j', (a, b, expected, edits) => {
    const ops = diffLines(L(a), L(b));
    expect(replay(ops)).toEqual({ a: L(a), b: L(b) });
    expect(ops.filter((o) => o.op !== ' ')).toHaveLength(edits);
    if (expected) expect(script(ops)).toBe(expected);
  });

  it('finds the shortest script on random inputs (replay and edit count against an LCS table)', () => {
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: rand(12) }, () => 'xyz'[rand(3)]!);
      const b = Array.from({ length: rand(12) }, () => 'xyz'[rand(3)]!);
      const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      const ops = diffLines(a, b);
      expect(replay(ops)).toEqual({ a, b });
      expect(ops.filter((o) => o.op !== ' ')).toHaveLength(a.length + b.length - 2 * lcs[0]![0]!);
    }
  });

  it('past maxEdits, shows the differing middle as removed then added, keeping the common head and tail', () => {
    const ops = diffLines(['h', '1', '2', '3', 't'], ['h', 'x', 'y', 'z', 't'], 2);
    expect(script(ops)).toBe(' h -1 -2 -3 +x +y +z  t');
  });

  it('a rewritten 20,000-line value stays linear (cut over at maxEdits)', () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `old ${i}`);
    const b = Array.from({ length: 20_000 }, (_, i) => `new ${i}`);
    const t0 = performance.now();
    const ops = diffLines(a, b);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(ops).toHaveLength(40_000);
    expect(replay(ops)).toEqual({ a, b });
  });
});

describe('unifiedHunks', () => {
  it('is empty without changes', () => {
    const ops = diffLines(['a', 'b'], ['a', 'b']);
    expect(hasChanges(ops)).toBe(false);
    expect(unifiedHunks(ops)).toEqual([]);
  });

  it.each<[string, string[], string[], number, string[]]>([
    ['one change in the middle, 1 line of context', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'X', 'd', 'e'], 1, ['@@ -2,3 +2,3 @@', ' b', '-c', '+X', ' d']],
    ['two far changes make two hunks', ['1', '2', '3', '4', '5', '6', '7', '8'], ['A', '2', '3', '4', '5', '6', '7', 'B'], 1, ['@@ -1,2 +1,2 @@', '-1', '+A', ' 2', '@@ -7,2 +7,2 @@', ' 7', '-8', '+B']],
    ['near changes merge', ['1', '2', '3', '4'], ['A', '2', '3', 'B'], 1, ['@@ -1,4 +1,4 @@', '-1', '+A', ' 2', ' 3', '-4', '+B']],
    ['all added: the old side is empty (numbered 0)', [], ['x', 'y'], 3, ['@@ -0,0 +1,2 @@', '+x', '+y']],
    ['all removed', ['x'], [], 3, ['@@ -1,1 +0,0 @@', '-x']],
  ])('%s', (_name, a, b, context, expected) => expect(unifiedHunks(diffLines(a, b), context)).toEqual(expected));
});
