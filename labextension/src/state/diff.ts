/** A line diff (longest common subsequence) for showing how a re-proposed cell changed. */

export type DiffKind = 'same' | 'add' | 'del';

export interface IDiffLine {
  kind: DiffKind;
  text: string;
  /** 1-based line number in the old text (same / del). */
  oldLine?: number;
  /** 1-based line number in the new text (same / add). */
  newLine?: number;
}

/** Above this many old×new lines in the changed middle, fall back to "all replaced". */
const MAX_TABLE = 4_000_000;

function splitLines(text: string): string[] {
  if (text === '') {
    return [];
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop(); // a trailing newline is not an extra empty line
  }
  return lines;
}

/** The lines of `after` against `before`, in order, each marked same, added or deleted. */
export function diffLines(before: string, after: string): IDiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const result: IDiffLine[] = [];
  for (let i = 0; i < start; i++) {
    result.push({ kind: 'same', text: a[i], oldLine: i + 1, newLine: i + 1 });
  }
  result.push(...diffMiddle(a, b, start, endA, endB));
  for (let i = endA, j = endB; i < a.length; i++, j++) {
    result.push({ kind: 'same', text: a[i], oldLine: i + 1, newLine: j + 1 });
  }
  return result;
}

function diffMiddle(
  a: string[],
  b: string[],
  start: number,
  endA: number,
  endB: number
): IDiffLine[] {
  const n = endA - start;
  const m = endB - start;
  const out: IDiffLine[] = [];
  if (n === 0 || m === 0 || n * m > MAX_TABLE) {
    for (let i = start; i < endA; i++) {
      out.push({ kind: 'del', text: a[i], oldLine: i + 1 });
    }
    for (let j = start; j < endB; j++) {
      out.push({ kind: 'add', text: b[j], newLine: j + 1 });
    }
    return out;
  }
  // lcs[i][j]: length of the LCS of a[start+i..endA) and b[start+j..endB)
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[start + i] === b[start + j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[start + i] === b[start + j]) {
      out.push({ kind: 'same', text: a[start + i], oldLine: start + i + 1, newLine: start + j + 1 });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      out.push({ kind: 'del', text: a[start + i], oldLine: start + i + 1 });
      i++;
    } else {
      out.push({ kind: 'add', text: b[start + j], newLine: start + j + 1 });
      j++;
    }
  }
  for (; i < n; i++) {
    out.push({ kind: 'del', text: a[start + i], oldLine: start + i + 1 });
  }
  for (; j < m; j++) {
    out.push({ kind: 'add', text: b[start + j], newLine: start + j + 1 });
  }
  return out;
}

/** How many lines were added and deleted. */
export function diffStats(lines: readonly IDiffLine[]): { added: number; deleted: number } {
  let added = 0;
  let deleted = 0;
  for (const line of lines) {
    if (line.kind === 'add') {
      added++;
    } else if (line.kind === 'del') {
      deleted++;
    }
  }
  return { added, deleted };
}
