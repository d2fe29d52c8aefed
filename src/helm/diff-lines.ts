/**
 * Pure: a line diff (Myers' O((N+M)D) algorithm) and unified hunks, for helm-deploy's manifest diff.
 * Table-tested; knows nothing of Kubernetes.
 */
export interface LineOp {
  op: ' ' | '-' | '+';
  line: string;
}

/**
 * Edits beyond which the exact diff is not searched: the middle (what differs after the common head and tail)
 * is then shown as removed and added whole. The search keeps O(D²) of trace (4 MB at 1,000 edits), so a 1 MiB
 * ConfigMap rewritten end to end costs O(N).
 */
export const MAX_EDITS = 1000;

/** The shortest edit script from a to b (common head and tail trimmed first), in order. */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = MAX_EDITS): LineOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let endA = a.length;
  let endB = b.length;
  while (endA > head && endB > head && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(head, endA);
  const midB = b.slice(head, endB);
  const middle = myers(midA, midB, maxEdits) ?? [...midA.map((line) => ({ op: '-' as const, line })), ...midB.map((line) => ({ op: '+' as const, line }))];
  const same = (line: string): LineOp => ({ op: ' ', line });
  return [...a.slice(0, head).map(same), ...middle, ...a.slice(endA).map(same)];
}

/** Myers' greedy forward search with a trace of each round's frontier (only its live window: O(D²) memory). */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): LineOp[] | undefined {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: '+', line }));
  if (m === 0) return a.map((line) => ({ op: '-', line }));
  if (Math.abs(n - m) > maxEdits) return undefined; // at least that many edits: not worth the search
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= Math.min(max, maxEdits) && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2)); // frontier before round d, indices k = -d-1 .. d+1
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;

  const ops: LineOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const frontier = trace[d]!;
    const at = (k: number): number => frontier[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ op: ' ', line: a[x - 1]! });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ op: '+', line: b[y - 1]! });
      else ops.push({ op: '-', line: a[x - 1]! });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** Whether an edit script changes anything. */
export function hasChanges(ops: readonly LineOp[]): boolean {
  return ops.some((o) => o.op !== ' ');
}

/**
 * Unified-diff hunks (`@@ -a,b +c,d @@` headers, `context` unchanged lines around each change), as lines.
 * Empty when nothing changed.
 */
export function unifiedHunks(ops: readonly LineOp[], context = 3): string[] {
  const changed = ops.map((o, i) => (o.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (!changed.length) return [];
  // Runs of ops to show: each change with its context, merged when they touch.
  const ranges: Array<[number, number]> = [];
  for (const i of changed) {
    const from = Math.max(0, i - context);
    const to = Math.min(ops.length - 1, i + context);
    const last = ranges.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else ranges.push([from, to]);
  }
  // Line numbers (1-based) in a and b at the start of each op.
  const startA: number[] = [];
  const startB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const o of ops) {
    startA.push(la);
    startB.push(lb);
    if (o.op !== '+') la++;
    if (o.op !== '-') lb++;
  }
  const out: string[] = [];
  for (const [from, to] of ranges) {
    const slice = ops.slice(from, to + 1);
    const countA = slice.filter((o) => o.op !== '+').length;
    const countB = slice.filter((o) => o.op !== '-').length;
    // An empty side is numbered by the line before it, as diff(1) does.
    const numA = countA ? startA[from]! : startA[from]! - 1;
    const numB = countB ? startB[from]! : startB[from]! - 1;
    out.push(`@@ -${numA},${countA} +${numB},${countB} @@`);
    for (const o of slice) out.push(`${o.op}${o.line}`);
  }
  return out;
}
