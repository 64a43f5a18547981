import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { reduce } from '../src/state/reducer';
import {
  IMessageItem,
  IViewState,
  initialState,
  isActive,
  pendingCells,
  planProgress
} from '../src/state/viewState';
import type { IReview, ISessionSnapshot, SessionEvent } from '../src/types';

/** Builds events with increasing seq numbers. */
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

function messages(state: IViewState): IMessageItem[] {
  return state.timeline.filter((item): item is IMessageItem => item.kind === 'message');
}

const REVIEW: IReview = {
  verdict: 'approve',
  risk: 'low',
  comments: 'ok',
  findings: [],
  blocking: false,
  blocked_by: null
};

function snapshot(overrides: Partial<ISessionSnapshot>): ISessionSnapshot {
  return {
    id: 's1',
    notebook_path: 'a.ipynb',
    kernel_id: 'k',
    title: 't',
    status: 'idle',
    created: 1,
    updated: 1,
    messages: [],
    plan: { tasks: [] },
    cells: [],
    variables: [],
    usage: { input_tokens: 0, output_tokens: 0, cost_usd: null, calls: 0 },
    pending: { cells: [], questions: [] },
    last_seq: 0,
    ...overrides
  };
}

describe('messages and deltas', () => {
  test('deltas grow one draft per agent and the message replaces it in place', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'user', text: 'hi' });
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'delta', agent: 'planner', text: 'Hel' });
    log.add({ type: 'delta', agent: 'planner', text: 'lo **there**' });
    let state = run(log.events);
    let items = messages(state);
    assert.equal(items.length, 2);
    assert.equal(items[1].text, 'Hello **there**');
    assert.equal(items[1].streaming, true);
    assert.equal(state.status, 'running');
    const draftKey = items[1].key;

    state = run([log.add({ type: 'message', role: 'assistant', agent: 'planner', text: 'Hello **there**' })], state);
    items = messages(state);
    assert.equal(items.length, 2);
    assert.equal(items[1].key, draftKey);
    assert.equal(items[1].streaming, false);
    assert.deepEqual(state.drafts, {});
  });

  test('events are applied once: a replay after reconnect changes nothing', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'user', text: 'hi' });
    log.add({ type: 'delta', agent: 'coder', text: 'a' });
    log.add({ type: 'delta', agent: 'coder', text: 'b' });
    const once = run(log.events);
    const twice = run(log.events, once);
    assert.equal(twice, once);
    assert.equal(messages(twice)[1].text, 'ab');
    // A partial overlap: only the new event counts.
    const more = run([...log.events.slice(1), log.add({ type: 'delta', agent: 'coder', text: 'c' })], once);
    assert.equal(messages(more)[1].text, 'abc');
    assert.equal(more.lastSeq, 4);
  });

  test('two agents stream into separate drafts', () => {
    const log = new Log();
    log.add({ type: 'delta', agent: 'planner', text: 'plan ' });
    log.add({ type: 'delta', agent: 'coder', text: 'code ' });
    log.add({ type: 'delta', agent: 'planner', text: 'more' });
    const state = run(log.events);
    const items = messages(state);
    assert.deepEqual(
      items.map(i => [i.agent, i.text]),
      [
        ['planner', 'plan more'],
        ['coder', 'code ']
      ]
    );
  });

  test('a step boundary seals chat drafts and drops the reviewer draft', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'delta', agent: 'planner', text: 'Let me plan.' });
    // The planner's words beside its plan arrive as its message before the plan.
    log.add({ type: 'message', role: 'assistant', agent: 'planner', text: 'Let me plan.' });
    log.add({ type: 'plan', tasks: [{ id: 't1', title: 'Load', status: 'pending' }] });
    log.add({ type: 'delta', agent: 'coder', text: 'Loading' });
    log.add({ type: 'delta', agent: 'reviewer', text: 'thinking' });
    log.add({
      type: 'cell_proposed',
      cell_id: 'c1',
      task_id: 't1',
      source: 'x = 1',
      explanation: 'e',
      review: REVIEW,
      needs_approval: true
    });
    const state = run(log.events);
    const items = messages(state);
    assert.deepEqual(items.map(i => i.text), ['Let me plan.', 'Loading']);
    assert.equal(items[1].streaming, false);
    assert.deepEqual(state.timeline.map(i => i.kind), ['message', 'message', 'cell']);
  });

  test('the run summary is the closing answer, shown once in place of its draft', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'message', role: 'user', text: 'q' });
    log.add({ type: 'delta', agent: 'coder', text: 'Done: ' });
    log.add({ type: 'delta', agent: 'coder', text: '42.' });
    log.add({ type: 'run_finished', status: 'done', summary: 'Done: 42.', agent: 'coder' });
    const state = run(log.events);
    const items = messages(state);
    assert.deepEqual(items.map(m => m.text), ['q', 'Done: 42.']);
    assert.equal(items[1].agent, 'coder');
    assert.equal(items[1].streaming, false);
    assert.equal(state.status, 'done');
    assert.equal(isActive(state.status), false);
  });

  test("the planner's direct answer is labelled as the planner's", () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'message', role: 'user', text: 'What is a p-value?' });
    log.add({ type: 'run_finished', status: 'done', summary: 'The probability...', agent: 'planner' });
    const items = messages(run(log.events));
    assert.deepEqual(items.map(m => [m.agent, m.text]), [[null, 'What is a p-value?'], ['planner', 'The probability...']]);
  });

  test('stop keeps the cut-off reply, marked interrupted, and says the run stopped', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'user', text: 'q' });
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'delta', agent: 'planner', text: 'Half a sent' });
    log.add({ type: 'delta', agent: 'reviewer', text: 'x' });
    log.add({ type: 'run_finished', status: 'stopped', summary: 'Stopped by the user.' });
    const state = run(log.events);
    const items = messages(state);
    assert.equal(items.length, 2);
    assert.equal(items[1].interrupted, true);
    assert.equal(items[1].streaming, false);
    const notice = state.timeline[state.timeline.length - 1];
    assert.equal(notice.kind, 'notice');
    assert.equal(notice.kind === 'notice' && notice.text, 'Stopped by the user.');
    assert.equal(state.status, 'stopped');
  });

  test('a failure shows its error once', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'user', text: 'q' });
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'error', code: 'model_error', message: 'The model server refused.' });
    // The error event says why: the run_finished of a failure carries no summary.
    log.add({ type: 'run_finished', status: 'failed' });
    const state = run(log.events);
    const notices = state.timeline.filter(i => i.kind === 'notice');
    assert.equal(notices.length, 1);
    assert.equal(state.status, 'failed');
  });

  test('a message the server marks interrupted replaces the draft, marked', () => {
    const log = new Log();
    log.add({ type: 'delta', agent: 'coder', text: 'Half a' });
    log.add({ type: 'message', role: 'assistant', agent: 'coder', text: 'Half a', interrupted: true });
    log.add({ type: 'run_finished', status: 'stopped', summary: 'Stopped by the user.' });
    const items = messages(run(log.events));
    assert.equal(items.length, 1);
    assert.equal(items[0].interrupted, true);
  });
});

describe('cells', () => {
  function proposal(log: Log, cellId: string, source: string, taskId = 't1', needs = true): SessionEvent {
    return log.add({
      type: 'cell_proposed',
      cell_id: cellId,
      task_id: taskId,
      source,
      explanation: `explain ${cellId}`,
      review: REVIEW,
      needs_approval: needs
    });
  }

  test('a proposed cell waits, then runs and keeps its outputs', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    proposal(log, 'c1', 'df.head()');
    let state = run(log.events);
    assert.equal(state.status, 'waiting');
    assert.deepEqual(pendingCells(state).map(c => c.cellId), ['c1']);

    state = reduce(state, { type: 'decision_sent', cellId: 'c1', decision: 'approve' });
    assert.equal(pendingCells(state).length, 0);
    assert.equal(state.cells.c1.decisionSent, 'approve');

    const outputs = [{ output_type: 'execute_result', data: { 'text/plain': '5' } }];
    state = run(
      [
        log.add({ type: 'cell_executing', cell_id: 'c1' }),
        log.add({ type: 'cell_executed', cell_id: 'c1', status: 'ok', execution_count: 3, outputs })
      ],
      state
    );
    assert.equal(state.cells.c1.status, 'done');
    assert.equal(state.cells.c1.executionCount, 3);
    assert.deepEqual(state.cells.c1.outputs, outputs);
    assert.equal(state.cells.c1.decisionSent, null);
    assert.equal(state.status, 'running');
  });

  test('a running cell shows its outputs so far, then its final ones', () => {
    const log = new Log();
    proposal(log, 'c1', 'train()');
    log.add({ type: 'cell_executing', cell_id: 'c1' });
    const partial = [{ output_type: 'stream', name: 'stdout', text: 'epoch 1\n' }];
    let state = run([...log.events, log.add({ type: 'cell_output', cell_id: 'c1', outputs: partial })]);
    assert.equal(state.cells.c1.status, 'running');
    assert.deepEqual(state.cells.c1.outputs, partial);
    const final = [{ output_type: 'stream', name: 'stdout', text: 'epoch 1\nepoch 2\n' }];
    state = run(
      [log.add({ type: 'cell_executed', cell_id: 'c1', status: 'ok', execution_count: 1, outputs: final })],
      state
    );
    assert.equal(state.cells.c1.status, 'done');
    assert.deepEqual(state.cells.c1.outputs, final);
  });

  test('a cell the user removed from the notebook is said once, in plain words', () => {
    const log = new Log();
    proposal(log, 'c1', 'x = 1');
    const text = "You removed the agent's cell `x = 1` from a.ipynb.";
    log.add({ type: 'cell_deleted', cell_id: 'c1', text });
    const state = run([...log.events, ...log.events]);
    const notices = state.timeline.filter(item => item.kind === 'notice');
    assert.deepEqual(
      notices.map(item => (item.kind === 'notice' ? [item.level, item.text] : null)),
      [['info', text]]
    );
    assert.equal(state.cells.c1.status, 'proposed');
  });

  test('rejected and blocked cells keep their reason', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    proposal(log, 'c1', 'a');
    log.add({ type: 'cell_rejected', cell_id: 'c1', reason: 'no plots' });
    proposal(log, 'c2', 'import shutil', 't2', false);
    log.add({ type: 'cell_blocked', cell_id: 'c2', reason: 'deletes files' });
    const state = run(log.events);
    assert.equal(state.cells.c1.status, 'rejected');
    assert.equal(state.cells.c1.reason, 'no plots');
    assert.equal(state.cells.c2.status, 'blocked');
    assert.equal(state.cells.c2.reason, 'deletes files');
    assert.equal(state.cells.c2.awaitingDecision, false);
    assert.deepEqual(state.timeline.map(i => i.key), ['c-c1', 'c-c2']);
  });

  test('a re-proposal for the same task links to the previous proposal', () => {
    const log = new Log();
    proposal(log, 'c1', "d['revenu'].mean()", 't1', false);
    log.add({ type: 'cell_executed', cell_id: 'c1', status: 'error', execution_count: 1, outputs: [] });
    proposal(log, 'c2', 'other task', 't2', false);
    proposal(log, 'c3', "d['revenue'].mean()", 't1', false);
    const state = run(log.events);
    assert.equal(state.cells.c1.previousSource, null);
    assert.equal(state.cells.c2.previousSource, null);
    assert.equal(state.cells.c3.previousCellId, 'c1');
    assert.equal(state.cells.c3.previousSource, "d['revenu'].mean()");
    assert.equal(state.cells.c1.status, 'error');
  });

  test('the end of a run releases undecided cells and stops running ones', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    proposal(log, 'c1', 'a');
    proposal(log, 'c2', 'b', 't2', false);
    log.add({ type: 'cell_executing', cell_id: 'c2' });
    log.add({ type: 'run_finished', status: 'stopped', summary: 'Stopped by the user.' });
    const state = run(log.events);
    assert.equal(state.cells.c1.awaitingDecision, false);
    assert.equal(state.cells.c1.status, 'proposed');
    assert.equal(state.cells.c2.status, 'stopped');
    assert.equal(pendingCells(state).length, 0);
  });

  test('a failed decision request re-enables the card', () => {
    const log = new Log();
    proposal(log, 'c1', 'a');
    let state = run(log.events);
    state = reduce(state, { type: 'decision_sent', cellId: 'c1', decision: 'reject' });
    state = reduce(state, { type: 'decision_failed', cellId: 'c1' });
    assert.deepEqual(pendingCells(state).map(c => c.cellId), ['c1']);
  });
});

describe('cell history', () => {
  test('a cell waiting for the user carries why the gate asked', () => {
    const log = new Log();
    const why = "Waiting for your approval: the 'never' policy runs cells unattended only in a sandboxed kernel.";
    log.add({
      type: 'cell_proposed', cell_id: 'c1', task_id: null, source: 'x', explanation: '',
      review: REVIEW, needs_approval: true, approval_reason: why
    });
    log.add({
      type: 'cell_proposed', cell_id: 'c2', task_id: null, source: 'y', explanation: '',
      review: REVIEW, needs_approval: false
    });
    const state = run(log.events);
    assert.equal(state.cells.c1.approvalReason, why);
    assert.equal(state.cells.c2.approvalReason, null);
  });

  test('a stopped cell gets its own status from cell_stopped', () => {
    const log = new Log();
    log.add({
      type: 'cell_proposed', cell_id: 'c1', task_id: null, source: 'x', explanation: '',
      review: REVIEW, needs_approval: true
    });
    log.add({ type: 'cell_stopped', cell_id: 'c1' });
    const state = run(log.events);
    assert.equal(state.cells.c1.status, 'stopped');
    assert.equal(state.cells.c1.awaitingDecision, false);
  });

  test('the code the user edited is what the card keeps, even when replayed', () => {
    const log = new Log();
    log.add({
      type: 'cell_proposed', cell_id: 'c1', task_id: null, source: 'df.head()', explanation: '',
      review: REVIEW, needs_approval: true
    });
    log.add({ type: 'cell_executing', cell_id: 'c1', source: 'df.head(10)', approved_by: 'ann' });
    const live = run(log.events);
    assert.equal(live.cells.c1.source, 'df.head()');
    assert.equal(live.cells.c1.editedSource, 'df.head(10)');
    const snap = snapshot({
      last_seq: log.seq,
      cells: [{
        cell_id: 'c1', task_id: null, source: 'df.head(10)', explanation: '', review: REVIEW,
        status: 'running', outputs: [], execution_count: null, created: 1, updated: 1
      }]
    });
    const reloaded = run(log.events, reduce(initialState('s1'), { type: 'snapshot', snapshot: snap }));
    assert.equal(reloaded.cells.c1.source, 'df.head()');
    assert.equal(reloaded.cells.c1.editedSource, 'df.head(10)');
  });
});

describe('questions, plan, variables, usage', () => {
  test('a question is open until answered', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'delta', agent: 'planner', text: 'I need to know.' });
    log.add({ type: 'question', question_id: 'q1', text: 'Which currency?' });
    let state = run(log.events);
    assert.equal(state.questions.q1.open, true);
    assert.equal(state.status, 'waiting');
    assert.deepEqual(state.timeline.map(i => i.kind), ['message', 'question']);
    assert.equal(messages(state)[0].streaming, false, 'the draft before a question is sealed');
    state = reduce(state, { type: 'question_answered', questionId: 'q1', text: 'EUR' });
    assert.equal(state.questions.q1.open, false);
    assert.equal(state.questions.q1.answer, 'EUR');
    assert.equal(state.status, 'running');
  });

  test('a replayed answer closes its question without a chat bubble', () => {
    const log = new Log();
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'question', question_id: 'q1', text: 'Which currency?' });
    log.add({ type: 'message', role: 'user', text: 'EUR', question_id: 'q1' });
    const state = run(log.events);
    assert.equal(state.questions.q1.open, false);
    assert.equal(state.questions.q1.answer, 'EUR');
    assert.deepEqual(state.timeline.map(i => i.kind), ['question']);
  });

  test('plan updates keep descriptions; progress counts done and skipped', () => {
    const log = new Log();
    const start = reduce(initialState('s1'), {
      type: 'snapshot',
      snapshot: snapshot({
        plan: { tasks: [{ id: 't1', title: 'Load', status: 'pending', description: 'read csv' }] }
      })
    });
    log.add({
      type: 'plan',
      tasks: [
        { id: 't1', title: 'Load', status: 'done' },
        { id: 't2', title: 'Sum', status: 'skipped' },
        { id: 't3', title: 'Plot', status: 'failed', note: 'no matplotlib' }
      ]
    });
    const state = run(log.events, start);
    assert.equal(state.plan[0].description, 'read csv');
    assert.equal(state.plan[2].note, 'no matplotlib');
    assert.deepEqual(planProgress(state.plan), { finished: 2, total: 3 });
  });

  test('variables and usage follow the latest event', () => {
    const log = new Log();
    log.add({ type: 'usage', input_tokens: 10, output_tokens: 2, cost_usd: 0.01 });
    log.add({ type: 'variables', variables: [{ name: 'df', type: 'DataFrame', summary: '4x2' }] });
    log.add({ type: 'usage', input_tokens: 30, output_tokens: 5 });
    const state = run(log.events);
    assert.equal(state.usage.input_tokens, 30);
    assert.equal(state.usage.cost_usd, 0.01);
    assert.equal(state.variables[0].name, 'df');
  });

  test('unknown event types are ignored but counted as seen', () => {
    const log = new Log();
    log.add({ type: 'something_new', x: 1 });
    const state = run(log.events);
    assert.equal(state.lastSeq, 1);
    assert.equal(state.timeline.length, 0);
  });
});

describe('snapshot + replay (a reload)', () => {
  test('the replayed timeline matches the live one and the snapshot decides what is pending', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'user', text: 'analyse' });
    log.add({ type: 'run_started', turn: 0 });
    log.add({ type: 'plan', tasks: [{ id: 't1', title: 'Load', status: 'in_progress' }] });
    log.add({
      type: 'cell_proposed',
      cell_id: 'c1',
      task_id: 't1',
      source: 'x',
      explanation: 'e',
      review: REVIEW,
      needs_approval: true
    });
    log.add({ type: 'question', question_id: 'q1', text: 'Sure?' });
    log.add({ type: 'variables', variables: [{ name: 'old', type: 'int', summary: '1' }] });
    const live = run(log.events);

    const snap = snapshot({
      status: 'waiting',
      last_seq: log.seq,
      plan: { tasks: [{ id: 't1', title: 'Load', status: 'in_progress', description: 'd' }] },
      cells: [
        {
          cell_id: 'c1',
          task_id: 't1',
          source: 'x',
          explanation: 'e',
          review: REVIEW,
          status: 'proposed',
          outputs: [],
          execution_count: null,
          created: 1,
          updated: 1
        }
      ],
      variables: [{ name: 'fresh', type: 'int', summary: '2' }],
      // The question was answered in another tab; the cell still waits.
      pending: { cells: ['c1'], questions: [] }
    });
    let reloaded = reduce(initialState('s1'), { type: 'snapshot', snapshot: snap });
    reloaded = run(log.events, reloaded);
    assert.deepEqual(
      reloaded.timeline.map(i => i.key),
      live.timeline.map(i => i.key)
    );
    assert.deepEqual(pendingCells(reloaded).map(c => c.cellId), ['c1']);
    assert.equal(reloaded.questions.q1.open, false);
    assert.equal(reloaded.variables[0].name, 'fresh', 'older variables events do not win');
    assert.equal(reloaded.status, 'waiting');

    // Live events after the snapshot apply as usual.
    const after = run(
      [
        log.add({ type: 'cell_executing', cell_id: 'c1' }),
        log.add({ type: 'variables', variables: [{ name: 'newest', type: 'int', summary: '3' }] })
      ],
      reloaded
    );
    assert.equal(after.cells.c1.status, 'running');
    assert.equal(after.variables[0].name, 'newest');
    assert.equal(after.status, 'running');
  });

  test('a snapshot of another session starts from scratch', () => {
    const log = new Log();
    log.add({ type: 'message', role: 'user', text: 'hi' });
    const old = run(log.events);
    const state = reduce(old, { type: 'snapshot', snapshot: snapshot({ id: 's2', last_seq: 0 }) });
    assert.equal(state.sessionId, 's2');
    assert.equal(state.timeline.length, 0);
    assert.equal(state.lastSeq, 0);
  });
});
