import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { reduce } from '../src/state/reducer';
import { IViewState, initialState } from '../src/state/viewState';
import type { ISessionSnapshot, SessionEvent } from '../src/types';

let seq = 0;
function event(body: Record<string, unknown>): SessionEvent {
  seq += 1;
  return { seq, ts: 1000 + seq, ...body } as unknown as SessionEvent;
}

function run(events: readonly SessionEvent[], state: IViewState = initialState('s1')): IViewState {
  return reduce(state, { type: 'events', events });
}

function runUsage(turn: number, input: number, cost: number | null): Record<string, unknown> {
  return {
    turn,
    input_tokens: input,
    output_tokens: 10,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: cost,
    calls: 1
  };
}

describe('usage per run', () => {
  test('a usage event updates the session totals and its run, keeping runs in order', () => {
    const snapshot = {
      id: 's1',
      last_seq: 0,
      status: 'done',
      cells: [],
      usage: { input_tokens: 100, output_tokens: 10, cost_usd: 0.1, runs: [runUsage(0, 100, 0.1)] }
    } as unknown as ISessionSnapshot;
    let state = reduce(initialState('s1'), { type: 'snapshot', snapshot });
    state = run(
      [
        event({ type: 'run_started', turn: 1 }),
        event({
          type: 'usage',
          input_tokens: 150,
          output_tokens: 20,
          cost_usd: 0.15,
          cache_read_tokens: 40,
          run: runUsage(1, 50, 0.05)
        }),
        event({
          type: 'usage',
          input_tokens: 230,
          output_tokens: 30,
          cost_usd: 0.23,
          run: runUsage(1, 130, 0.13)
        })
      ],
      state
    );
    assert.deepEqual(
      state.usage.runs?.map(r => [r.turn, r.input_tokens, r.cost_usd]),
      [
        [0, 100, 0.1],
        [1, 130, 0.13]
      ]
    );
    assert.equal(state.usage.input_tokens, 230);
    assert.equal(state.usage.cache_read_tokens, 40); // kept when an event leaves it out
  });

  test('a budget stop is shown until the next run starts', () => {
    const message = 'Stopped by the session budget of this session: ...';
    let state = run([
      event({ type: 'run_started', turn: 0 }),
      event({ type: 'error', code: 'budget_exceeded', message, budget: 'budget_session_usd' }),
      event({ type: 'run_finished', status: 'stopped' })
    ]);
    assert.deepEqual(state.budgetStop, { budget: 'budget_session_usd', message });
    assert.equal(state.timeline.filter(item => item.kind === 'notice').length, 1);
    state = run([event({ type: 'run_started', turn: 1 })], state);
    assert.equal(state.budgetStop, null);
    state = run([event({ type: 'error', code: 'model_error', message: 'boom' })], state);
    assert.equal(state.budgetStop, null);
  });
});
