import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { reduce } from '../src/state/reducer';
import { initialState } from '../src/state/viewState';
import type { IReview, SessionEvent } from '../src/types';

const REVIEW: IReview = {
  verdict: 'approve',
  risk: 'low',
  comments: 'ok',
  findings: [],
  blocking: false,
  blocked_by: null
};

function events(...bodies: Record<string, unknown>[]): SessionEvent[] {
  return bodies.map((body, index) => ({ seq: index + 1, ts: 1000 + index, ...body }) as unknown as SessionEvent);
}

const PROPOSED = {
  type: 'cell_proposed',
  cell_id: 'c1',
  task_id: null,
  source: 'arr[:10] = 1',
  explanation: '',
  review: REVIEW,
  needs_approval: false
};

describe('undo', () => {
  test('the card knows before the run whether the cell can be undone, and why not', () => {
    const state = reduce(initialState('s1'), {
      type: 'events',
      events: events(PROPOSED, {
        type: 'cell_executing',
        cell_id: 'c1',
        undoable: false,
        undo_note: '`arr` may be changed in place and is 8.0 MB, over the 1.0 MB copy limit'
      })
    });
    assert.equal(state.cells.c1.status, 'running');
    assert.equal(state.cells.c1.undoable, false);
    assert.ok((state.cells.c1.undoNote ?? '').includes('copy limit'));
  });

  test('a proposal already says when its cell could not be undone', () => {
    const state = reduce(initialState('s1'), {
      type: 'events',
      events: events({ ...PROPOSED, undoable: false, undo_note: '`arr` is 8.0 MB' })
    });
    assert.equal(state.cells.c1.undoable, false);
    assert.equal(state.cells.c1.undoNote, '`arr` is 8.0 MB');
  });

  test('cell_undone marks the cell undone', () => {
    const state = reduce(initialState('s1'), {
      type: 'events',
      events: events(
        PROPOSED,
        { type: 'cell_executing', cell_id: 'c1', undoable: true },
        { type: 'cell_executed', cell_id: 'c1', status: 'ok', execution_count: 3, outputs: [] },
        { type: 'cell_undone', cell_id: 'c1', restored: ['arr'], removed: [], files_restored: [], files_removed: [] }
      )
    });
    assert.equal(state.cells.c1.undoable, true);
    assert.equal(state.cells.c1.status, 'undone');
  });
});
