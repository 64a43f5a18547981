import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { diffLines, diffStats } from '../src/state/diff';
import { streamSegments } from '../src/state/segments';

function render(before: string, after: string): string[] {
  return diffLines(before, after).map(line => {
    const mark = line.kind === 'add' ? '+' : line.kind === 'del' ? '-' : ' ';
    return mark + line.text;
  });
}

describe('diffLines', () => {
  test('identical texts are all the same', () => {
    assert.deepEqual(render('a\nb\n', 'a\nb\n'), [' a', ' b']);
  });

  test('one changed line in the middle', () => {
    const before = "import pandas as pd\nd = pd.read_csv('s.csv')\nd['revenu'].mean()";
    const after = "import pandas as pd\nd = pd.read_csv('s.csv')\nd['revenue'].mean()";
    assert.deepEqual(render(before, after), [
      ' import pandas as pd',
      " d = pd.read_csv('s.csv')",
      "-d['revenu'].mean()",
      "+d['revenue'].mean()"
    ]);
  });

  test('insertions and deletions keep their line numbers', () => {
    const lines = diffLines('a\nb\nc\nd', 'a\nc\nx\nd\ne');
    assert.deepEqual(
      lines.map(l => [l.kind, l.text, l.oldLine ?? null, l.newLine ?? null]),
      [
        ['same', 'a', 1, 1],
        ['del', 'b', 2, null],
        ['same', 'c', 3, 2],
        ['add', 'x', null, 3],
        ['same', 'd', 4, 4],
        ['add', 'e', null, 5]
      ]
    );
    assert.deepEqual(diffStats(lines), { added: 2, deleted: 1 });
  });

  test('from and to empty', () => {
    assert.deepEqual(render('', 'a\nb'), ['+a', '+b']);
    assert.deepEqual(render('a', ''), ['-a']);
    assert.deepEqual(render('', ''), []);
  });

  test('the diff is a longest common subsequence', () => {
    const before = ['x', 'a', 'b', 'c', 'y', 'd'].join('\n');
    const after = ['a', 'q', 'b', 'c', 'd', 'z'].join('\n');
    const same = diffLines(before, after).filter(l => l.kind === 'same').map(l => l.text);
    assert.deepEqual(same, ['a', 'b', 'c', 'd']);
  });

  test('large changes fall back to replacing every line', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `old ${i}`).join('\n');
    const after = Array.from({ length: 3000 }, (_, i) => `new ${i}`).join('\n');
    const stats = diffStats(diffLines(before, after));
    assert.deepEqual(stats, { added: 3000, deleted: 3000 });
  });
});

describe('streamSegments', () => {
  test('short text is one segment', () => {
    assert.deepEqual(streamSegments('hello\nworld', 10, 20), ['hello\nworld']);
  });

  test('segments join back to the text and end at newlines', () => {
    const text = Array.from({ length: 40 }, (_, i) => `line ${i} of the reply`).join('\n');
    const segments = streamSegments(text, 50, 200);
    assert.equal(segments.join(''), text);
    assert.ok(segments.length > 5);
    for (const segment of segments.slice(0, -1)) {
      assert.ok(segment.endsWith('\n'));
    }
  });

  test('a very long line is split at a space after the hard limit', () => {
    const text = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const segments = streamSegments(text, 50, 100);
    assert.equal(segments.join(''), text);
    assert.ok(segments.length > 3);
  });

  test('earlier segments never change as the text grows', () => {
    let text = '';
    let previous: string[] = [];
    for (let i = 0; i < 500; i++) {
      text += i % 17 === 0 ? `\npara ${i} ` : `word${i} `;
      const segments = streamSegments(text, 60, 150);
      assert.deepEqual(segments.slice(0, previous.length - 1), previous.slice(0, -1));
      previous = segments;
    }
  });
});
