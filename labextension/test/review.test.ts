import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { messageWithAttachment } from '../src/notebook/cellContext';
import { attentionChanges, attentionOf, waitingTotal } from '../src/state/attention';
import { errorHeadline, splitAttachedCell } from '../src/state/attachment';
import { markdownBlocks } from '../src/state/markdownBlocks';
import { outputImages } from '../src/state/outputs';
import { cellsByTask, doneWithoutRunning, planSections } from '../src/state/plan';
import { reduce } from '../src/state/reducer';
import { IMessageItem, IViewState, initialState } from '../src/state/viewState';
import type { IOutput, IReview, ITask, SessionEvent } from '../src/types';

class Log {
  seq = 0;
  readonly events: SessionEvent[] = [];

  add(body: Record<string, unknown>): SessionEvent {
    this.seq += 1;
    const event = { seq: this.seq, ts: 1000 + this.seq, ...body } as unknown as SessionEvent;
    this.events.push(event);
    return event;
  }
}

function run(events: readonly SessionEvent[], state: IViewState = initialState('s1')): IViewState {
  return reduce(state, { type: 'events', events });
}

const REVIEW: IReview = {
  verdict: 'approve',
  risk: 'low',
  comments: 'ok',
  findings: [],
  blocking: false,
  blocked_by: null
};

function proposed(cellId: string, source: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'cell_proposed',
    cell_id: cellId,
    source,
    explanation: '',
    review: REVIEW,
    needs_approval: true,
    ...extra
  };
}

describe('streaming Markdown in blocks', () => {
  test('blocks end at blank lines, never inside a code fence', () => {
    const text = 'Intro **bold**\n\n```python\nx = 1\n\ny = 2\n```\n\n- a\n- b';
    assert.deepEqual(markdownBlocks(text), ['Intro **bold**\n\n', '```python\nx = 1\n\ny = 2\n```\n\n', '- a\n- b']);
  });

  test('a block once followed by another never changes as the text grows', () => {
    const full = 'One\n\nTwo words\n\n~~~\ncode\n\n~~~\nThree';
    let earlier: string[] = [];
    for (let end = 1; end <= full.length; end++) {
      const blocks = markdownBlocks(full.slice(0, end));
      assert.equal(blocks.join(''), full.slice(0, end));
      for (let i = 0; i < earlier.length - 1; i++) {
        assert.equal(blocks[i], earlier[i]);
      }
      earlier = blocks;
    }
  });

  test('an open fence keeps the rest in one block', () => {
    assert.deepEqual(markdownBlocks('a\n\n```\nx\n\ny'), ['a\n\n', '```\nx\n\ny']);
  });
});

describe('a message with an attached cell', () => {
  const attachment = {
    label: 'cell [3]',
    notebookPath: 'dir/broken.ipynb',
    source: 'total / 0',
    error: 'ZeroDivisionError: division by zero\nTraceback (most recent call last)\n  line 1'
  };

  test('splits back into the words and the cell', () => {
    const text = messageWithAttachment('Fix this error.', attachment).trim();
    const split = splitAttachedCell(text);
    assert.equal(split.words, 'Fix this error.');
    assert.deepEqual(split.cell, {
      label: 'cell [3]',
      notebookPath: 'dir/broken.ipynb',
      code: 'total / 0',
      error: attachment.error
    });
    assert.equal(errorHeadline(split.cell?.error ?? ''), 'ZeroDivisionError: division by zero');
  });

  test('code with backticks, no error, and no words', () => {
    const source = 'print("```")';
    const text = messageWithAttachment('', { ...attachment, source, error: null }).trim();
    const split = splitAttachedCell(text);
    assert.equal(split.words, '');
    assert.equal(split.cell?.code, source);
    assert.equal(split.cell?.error, null);
  });

  test('a plain message is left alone', () => {
    const text = 'The cell of mine: what does it do?';
    assert.deepEqual(splitAttachedCell(text), { words: text, cell: null });
  });
});

describe('review rounds on the card', () => {
  test('revise comments wait for the re-proposal and become its history', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 1 });
    log.add({ type: 'delta', agent: 'reviewer', text: 'Sort' });
    log.add({ type: 'message', role: 'assistant', agent: 'reviewer', text: 'Sort `names`.', reviewed_code: 'v1' });
    let state = run(log.events);
    assert.equal(state.timeline.length, 0); // not a chat bubble, and the draft is gone
    state = run([log.add(proposed('c1', 'v2'))], state);
    assert.deepEqual(state.cells['c1'].rounds, [{ code: 'v1', comments: 'Sort `names`.' }]);
    assert.deepEqual(state.pendingRounds, []);
    // A later proposal does not inherit them.
    state = run([log.add(proposed('c2', 'other'))], state);
    assert.deepEqual(state.cells['c2'].rounds, []);
  });

  test('comments no re-proposal answered reach the chat when the run ends', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 1 });
    log.add({ type: 'message', role: 'assistant', agent: 'reviewer', text: 'Too slow.' });
    log.add({ type: 'run_finished', status: 'done' });
    const state = run(log.events);
    const items = state.timeline.filter((item): item is IMessageItem => item.kind === 'message');
    assert.deepEqual(
      items.map(item => [item.agent, item.text]),
      [['reviewer', 'Too slow.']]
    );
  });

  test('a replay rebuilds the same history', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'assistant', agent: 'reviewer', text: 'again', reviewed_code: 'a' });
    log.add(proposed('c1', 'b'));
    const first = run(log.events);
    const again = run(log.events, first);
    assert.equal(again, first);
  });
});

describe('a change of an existing cell', () => {
  test('of an agent cell: diffed against that cell, as it ran', () => {
    const log = new Log();
    log.add(proposed('c1', 'x = 1 / 0'));
    log.add({ type: 'cell_executing', cell_id: 'c1', source: 'x = 2 / 0' });
    log.add({ type: 'cell_executed', cell_id: 'c1', status: 'error', execution_count: 1, outputs: [] });
    log.add(proposed('c2', 'x = 2 / 1', { replaces: 'c1' }));
    const cell = run(log.events).cells['c2'];
    assert.equal(cell.replaces, 'c1');
    assert.equal(cell.previousSource, 'x = 2 / 0');
  });

  test("of the user's own cell: the code comes from the notebook, once", () => {
    const log = new Log();
    log.add(proposed('c1', 'fixed', { replaces: 'nb-cell-7' }));
    let state = run(log.events);
    assert.equal(state.cells['c1'].previousSource, null);
    state = reduce(state, { type: 'replaced_source', cellId: 'c1', source: 'broken' });
    assert.equal(state.cells['c1'].previousSource, 'broken');
    const again = reduce(state, { type: 'replaced_source', cellId: 'c1', source: 'fixed' });
    assert.equal(again, state); // after approval the notebook has the new code: keep the old
  });
});

describe('attention', () => {
  test('counts what waits and tells what became worth telling', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 1 });
    const started = attentionOf(run(log.events));
    let state = run(log.events);
    state = run([log.add(proposed('c1', 'a')), log.add({ type: 'question', question_id: 'q1', text: '?' })], state);
    const waiting = attentionOf(state);
    assert.equal(waitingTotal(waiting), 2);
    assert.deepEqual(attentionChanges(started, waiting), [
      { kind: 'cells_waiting', cellIds: ['c1'] },
      { kind: 'question' }
    ]);
    assert.deepEqual(attentionChanges(waiting, waiting), []);
    state = run([log.add({ type: 'run_finished', status: 'stopped' })], state);
    const ended = attentionOf(state);
    assert.equal(waitingTotal(ended), 0);
    assert.deepEqual(attentionChanges(waiting, ended), [{ kind: 'run_finished', status: 'stopped' }]);
  });

  test('a decision sent no longer waits', () => {
    const log = new Log();
    let state = run([log.add(proposed('c1', 'a'))]);
    state = reduce(state, { type: 'decision_sent', cellId: 'c1', decision: 'approve' });
    assert.deepEqual(attentionOf(state).waitingCells, []);
  });
});

describe('the plan, truthfully', () => {
  const tasks: ITask[] = [
    { id: 't1', title: 'Load', status: 'done' },
    { id: 't2', title: 'Clean', status: 'done' },
    { id: 't3', title: 'Plot', status: 'in_progress' },
    { id: 't4', title: 'Skip', status: 'skipped' }
  ];

  test('finished tasks fold apart from the current ones', () => {
    const { finished, current } = planSections(tasks);
    assert.deepEqual(
      finished.map(t => t.id),
      ['t1', 't2', 't4']
    );
    assert.deepEqual(
      current.map(t => t.id),
      ['t3']
    );
  });

  test('a task done although none of its cells ran is told apart', () => {
    const log = new Log();
    log.add(proposed('c1', 'a', { task_id: 't1' }));
    log.add({ type: 'cell_executing', cell_id: 'c1' });
    log.add({ type: 'cell_executed', cell_id: 'c1', status: 'ok', execution_count: 1, outputs: [] });
    log.add(proposed('c2', 'b', { task_id: 't2', needs_approval: false }));
    log.add({ type: 'cell_blocked', cell_id: 'c2', reason: 'no' });
    const counts = cellsByTask(run(log.events).cells);
    assert.deepEqual(counts.get('t2'), { ran: 0, failed: 0, blocked: 1, rejected: 0, waiting: 0 });
    assert.equal(doneWithoutRunning(tasks[0], counts.get('t1')), false);
    assert.equal(doneWithoutRunning(tasks[1], counts.get('t2')), true);
    assert.equal(doneWithoutRunning(tasks[2], counts.get('t3')), false);
  });
});

describe('image outputs', () => {
  test('become data URLs with their text as the description', () => {
    const outputs = [
      { output_type: 'stream', name: 'stdout', text: 'hi' },
      {
        output_type: 'display_data',
        data: { 'image/png': 'iVBORw0K\nGgo=\n', 'text/plain': '<Figure size 700x400 with 1 Axes>' },
        metadata: {}
      },
      { output_type: 'execute_result', data: { 'image/svg+xml': ['<svg>', '</svg>'] }, metadata: {} }
    ] as unknown as IOutput[];
    assert.deepEqual(outputImages(outputs), [
      { mime: 'image/png', src: 'data:image/png;base64,iVBORw0KGgo=', alt: '<Figure size 700x400 with 1 Axes>' },
      { mime: 'image/svg+xml', src: 'data:image/svg+xml;charset=utf-8,%3Csvg%3E%3C%2Fsvg%3E', alt: 'image/svg+xml' }
    ]);
  });
});
