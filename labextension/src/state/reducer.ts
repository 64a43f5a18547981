/**
 * The pure event reducer: (view state, action) → view state.
 *
 * Events are applied in seq order and at most once (a replay after a reconnect may
 * repeat some). Deltas grow one open draft per agent; the agent's next `message`
 * replaces that draft with the full text. Unchanged parts keep their identity so
 * React components can skip re-rendering them.
 */

import type { CellStatus, IRunUsage, ISessionSnapshot, SessionEvent, SessionStatus } from '../types';
import { cellEvent, onCellExecuted, onCellExecuting, onCellProposed, onPlan, updateCell } from './cells';
import { appendItem, onDelta, onMessage, onRunFinished, sealDrafts } from './timeline';
import { Action, ICellView, IViewState, initialState } from './viewState';

export function reduce(state: IViewState, action: Action): IViewState {
  switch (action.type) {
    case 'reset':
      return initialState(action.sessionId);
    case 'snapshot':
      return applySnapshot(state, action.snapshot);
    case 'events': {
      let next = state;
      for (const event of action.events) {
        next = applyEvent(next, event);
      }
      return next;
    }
    case 'decision_sent':
      return updateCell(state, action.cellId, { decisionSent: action.decision });
    case 'decision_failed':
      return updateCell(state, action.cellId, { decisionSent: null });
    case 'replaced_source': {
      const cell = state.cells[action.cellId];
      if (!cell || cell.previousSource !== null) {
        return state;
      }
      return updateCell(state, action.cellId, { previousSource: action.source });
    }
    case 'question_answered': {
      const question = state.questions[action.questionId];
      if (!question) {
        return state;
      }
      return {
        ...state,
        status: state.status === 'waiting' ? 'running' : state.status,
        questions: {
          ...state.questions,
          [action.questionId]: { ...question, open: false, answer: action.text }
        }
      };
    }
  }
  return state;
}

/** Apply one event (ignored if its seq was already applied). */
export function applyEvent(state: IViewState, event: SessionEvent): IViewState {
  if (typeof event.seq !== 'number' || event.seq <= state.lastSeq) {
    return state;
  }
  const stale = event.seq <= state.snapshotSeq;
  const next = applyEventBody({ ...state, lastSeq: event.seq }, event, stale);
  return next;
}

function applyEventBody(state: IViewState, event: SessionEvent, stale: boolean): IViewState {
  switch (event.type) {
    case 'message':
      return onMessage(state, event);
    case 'delta':
      return onDelta(state, event.agent, event.text, event.seq);
    case 'run_started':
      return {
        ...state,
        turn: event.turn,
        status: stale ? state.status : 'running',
        budgetStop: null
      };
    case 'run_finished':
      return onRunFinished(state, event, stale);
    case 'plan':
      return onPlan(sealDrafts(state), event.tasks, stale);
    case 'cell_proposed':
      return onCellProposed(sealDrafts(state), event, stale);
    case 'cell_executing':
      return onCellExecuting(state, event, stale);
    case 'cell_executed':
      return onCellExecuted(sealDrafts(state), event, stale);
    case 'cell_rejected':
      return cellEvent(state, event.cell_id, stale, {
        status: 'rejected',
        awaitingDecision: false,
        decisionSent: null,
        reason: event.reason ?? null
      }, 'running');
    case 'cell_output':
      // The outputs so far of a running cell; its cell_executed brings the final ones.
      return cellEvent(state, event.cell_id, stale, { outputs: event.outputs ?? [] });
    case 'cell_deleted':
      return appendItem(state, {
        kind: 'notice',
        key: `n-${event.seq}`,
        level: 'info',
        text: event.text,
        code: 'cell_deleted'
      });
    case 'cell_stopped':
      return cellEvent(state, event.cell_id, stale, {
        status: 'stopped',
        awaitingDecision: false,
        decisionSent: null
      });
    case 'cell_undone':
      return cellEvent(state, event.cell_id, stale, { status: 'undone' });
    case 'cell_blocked':
      return cellEvent(state, event.cell_id, stale, {
        status: 'blocked',
        awaitingDecision: false,
        decisionSent: null,
        reason: event.reason
      });
    case 'question': {
      const sealed = sealDrafts(state);
      const known = sealed.questions[event.question_id];
      const open = stale
        ? sealed.snapshotPending.questions.includes(event.question_id)
        : (known?.open ?? true);
      const withItem = known
        ? sealed
        : appendItem(sealed, { kind: 'question', key: `q-${event.question_id}`, questionId: event.question_id });
      return {
        ...withItem,
        status: !stale && open ? 'waiting' : withItem.status,
        questions: {
          ...withItem.questions,
          [event.question_id]: {
            questionId: event.question_id,
            text: event.text,
            open,
            answer: known?.answer ?? null
          }
        }
      };
    }
    case 'variables':
      return stale ? state : { ...state, variables: event.variables ?? [] };
    case 'usage':
      if (stale) {
        return state;
      }
      return {
        ...state,
        usage: {
          ...state.usage,
          input_tokens: event.input_tokens,
          output_tokens: event.output_tokens,
          cache_read_tokens: event.cache_read_tokens ?? state.usage.cache_read_tokens,
          cache_write_tokens: event.cache_write_tokens ?? state.usage.cache_write_tokens,
          cost_usd: event.cost_usd ?? state.usage.cost_usd ?? null,
          runs: event.run ? withRun(state.usage.runs ?? [], event.run) : state.usage.runs
        }
      };
    case 'error': {
      const stopped =
        event.code === 'budget_exceeded'
          ? { ...state, budgetStop: { budget: event.budget ?? null, message: event.message } }
          : state;
      return appendItem(stopped, {
        kind: 'notice',
        key: `n-${event.seq}`,
        level: 'error',
        text: event.message,
        code: event.code
      });
    }
  }
  return state; // an event type this client does not know yet
}

/** The runs with `run`'s figures in place of its older ones (runs stay in turn order). */
function withRun(runs: readonly IRunUsage[], run: IRunUsage): IRunUsage[] {
  const others = runs.filter(known => known.turn !== run.turn);
  return [...others, run].sort((a, b) => a.turn - b.turn);
}

// --- snapshot -------------------------------------------------------------------------

function applySnapshot(state: IViewState, snapshot: ISessionSnapshot): IViewState {
  const base = state.sessionId === snapshot.id ? state : initialState(snapshot.id);
  const cells: Record<string, ICellView> = { ...base.cells };
  const order = [...base.cellOrder];
  const pendingCells = snapshot.pending?.cells ?? [];
  for (const cell of snapshot.cells ?? []) {
    const known = cells[cell.cell_id];
    const status = asCellStatus(cell.status);
    cells[cell.cell_id] = {
      cellId: cell.cell_id,
      taskId: cell.task_id ?? null,
      source: known?.source ?? cell.source,
      editedSource: known?.editedSource ?? null,
      explanation: cell.explanation,
      review: cell.review,
      status,
      needsApproval: known?.needsApproval ?? pendingCells.includes(cell.cell_id),
      awaitingDecision: status === 'proposed' && pendingCells.includes(cell.cell_id),
      decisionSent: known?.decisionSent ?? null,
      previousCellId: known?.previousCellId ?? null,
      previousSource: known?.previousSource ?? null,
      outputs: cell.outputs ?? [],
      executionCount: cell.execution_count ?? null,
      reason: known?.reason ?? null,
      approvalReason: known?.approvalReason ?? null
    };
    if (!known) {
      order.push(cell.cell_id);
    }
  }
  const questions = { ...base.questions };
  const pendingQuestions = (snapshot.pending?.questions ?? []).map(q => q.question_id);
  for (const id of Object.keys(questions)) {
    if (questions[id].open && !pendingQuestions.includes(id)) {
      questions[id] = { ...questions[id], open: false };
    }
  }
  return {
    ...base,
    sessionId: snapshot.id,
    snapshotSeq: Math.max(base.snapshotSeq, snapshot.last_seq ?? 0),
    status: asSessionStatus(snapshot.status),
    plan: snapshot.plan?.tasks ?? base.plan,
    variables: snapshot.variables ?? base.variables,
    usage: { ...base.usage, ...snapshot.usage },
    cells,
    cellOrder: order,
    questions,
    snapshotPending: { cells: pendingCells, questions: pendingQuestions }
  };
}

const CELL_STATUSES: readonly string[] = [
  'proposed',
  'running',
  'done',
  'error',
  'rejected',
  'blocked',
  'stopped'
];
const SESSION_STATUSES: readonly string[] = ['idle', 'running', 'waiting', 'done', 'stopped', 'failed'];

function asCellStatus(value: string): CellStatus {
  return (CELL_STATUSES.includes(value) ? value : 'proposed') as CellStatus;
}

function asSessionStatus(value: string): SessionStatus {
  return (SESSION_STATUSES.includes(value) ? value : 'idle') as SessionStatus;
}
