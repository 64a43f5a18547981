/**
 * The pure event reducer: (view state, action) → view state.
 *
 * Events are applied in seq order and at most once (a replay after a reconnect may
 * repeat some). Deltas grow one open draft per agent; the agent's next `message`
 * replaces that draft with the full text. Unchanged parts keep their identity so
 * React components can skip re-rendering them.
 */

import type {
  CellStatus,
  ICellExecutedEvent,
  ICellProposedEvent,
  IMessageEvent,
  IRunFinishedEvent,
  ISessionSnapshot,
  ITask,
  SessionEvent,
  SessionStatus
} from '../types';
import {
  Action,
  ICellView,
  IMessageItem,
  IQuestionView,
  IViewState,
  TimelineItem,
  initialState
} from './viewState';

/** Agents whose streamed text is shown as chat; others' drafts disappear when sealed. */
const CHAT_AGENTS = new Set(['planner', 'coder']);

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
        sealed: {}
      };
    case 'run_finished':
      return onRunFinished(state, event, stale);
    case 'plan':
      return onPlan(sealDrafts(state), event.tasks, stale);
    case 'cell_proposed':
      return onCellProposed(sealDrafts(state), event, stale);
    case 'cell_executing':
      return cellEvent(state, event.cell_id, stale, {
        status: 'running',
        awaitingDecision: false,
        decisionSent: null
      }, 'running');
    case 'cell_executed':
      return onCellExecuted(sealDrafts(state), event, stale);
    case 'cell_rejected':
      return cellEvent(state, event.cell_id, stale, {
        status: 'rejected',
        awaitingDecision: false,
        decisionSent: null,
        reason: event.reason ?? null
      }, 'running');
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
          cost_usd: event.cost_usd ?? state.usage.cost_usd ?? null
        }
      };
    case 'error':
      return appendItem(state, {
        kind: 'notice',
        key: `n-${event.seq}`,
        level: 'error',
        text: event.message,
        code: event.code
      });
  }
  return state; // an event type this client does not know yet
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
      reason: known?.reason ?? null
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

// --- messages and drafts ----------------------------------------------------------------

function onMessage(state: IViewState, event: IMessageEvent): IViewState {
  if (event.role === 'user' && event.question_id !== undefined) {
    // The answer to a question belongs on its card, not in a second chat bubble.
    const question = state.questions[event.question_id];
    if (question) {
      return {
        ...state,
        questions: {
          ...state.questions,
          [event.question_id]: { ...question, open: false, answer: event.text }
        }
      };
    }
  }
  if (event.role === 'user') {
    return appendItem(state, messageItem(`m-${event.seq}`, 'user', null, event.text));
  }
  const agent = event.agent ?? 'assistant';
  const draftKey = state.drafts[agent];
  if (draftKey !== undefined) {
    const drafts = { ...state.drafts };
    delete drafts[agent];
    return {
      ...replaceItem(state, draftKey, messageItem(draftKey, 'assistant', agent, event.text)),
      drafts
    };
  }
  const sealedKey = state.sealed[agent];
  if (sealedKey !== undefined) {
    const sealedItem = findItem(state, sealedKey);
    if (sealedItem?.kind === 'message' && sealedItem.text.trim() === event.text.trim()) {
      const sealed = { ...state.sealed };
      delete sealed[agent];
      return {
        ...replaceItem(state, sealedKey, messageItem(sealedKey, 'assistant', agent, event.text)),
        sealed
      };
    }
  }
  // The same reply shown twice in a row (a final answer repeated as the summary).
  const last = state.timeline[state.timeline.length - 1];
  if (
    last?.kind === 'message' &&
    last.role === 'assistant' &&
    last.agent === agent &&
    !last.streaming &&
    last.text.trim() === event.text.trim()
  ) {
    return state;
  }
  return appendItem(state, messageItem(`m-${event.seq}`, 'assistant', agent, event.text));
}

function onDelta(state: IViewState, agent: string, text: string, seq: number): IViewState {
  if (!text) {
    return state;
  }
  const key = state.drafts[agent];
  if (key !== undefined) {
    const item = findItem(state, key);
    if (item?.kind === 'message') {
      return replaceItem(state, key, { ...item, text: item.text + text });
    }
  }
  const newKey = `d-${seq}`;
  const withItem = appendItem(state, { ...messageItem(newKey, 'assistant', agent, text), streaming: true });
  return { ...withItem, drafts: { ...state.drafts, [agent]: newKey } };
}

/**
 * Close the open drafts at a step boundary (a plan, a proposed cell, a question...):
 * chat agents' text stays where it is, other agents' drafts (the reviewer's) go.
 */
function sealDrafts(state: IViewState): IViewState {
  const agents = Object.keys(state.drafts);
  if (agents.length === 0) {
    return state;
  }
  let next: IViewState = state;
  const sealed = { ...state.sealed };
  for (const agent of agents) {
    const key = state.drafts[agent];
    const item = findItem(next, key);
    if (item?.kind !== 'message') {
      continue;
    }
    if (CHAT_AGENTS.has(agent) && item.text.trim()) {
      next = replaceItem(next, key, { ...item, streaming: false });
      sealed[agent] = key;
    } else {
      next = removeItem(next, key);
    }
  }
  return { ...next, drafts: {}, sealed };
}

function onRunFinished(state: IViewState, event: IRunFinishedEvent, stale: boolean): IViewState {
  // Drafts still open: the reply was cut off (stop, failure) or never shown as a message.
  let next: IViewState = state;
  for (const agent of Object.keys(state.drafts)) {
    const key = state.drafts[agent];
    const item = findItem(next, key);
    if (item?.kind !== 'message') {
      continue;
    }
    if (CHAT_AGENTS.has(agent) && item.text.trim()) {
      next = replaceItem(next, key, {
        ...item,
        streaming: false,
        interrupted: event.status !== 'done'
      });
    } else {
      next = removeItem(next, key);
    }
  }
  next = { ...next, drafts: {}, sealed: {} };
  // Nothing waits any more: undecided cells will not run, open questions are closed.
  let cells: Record<string, ICellView> | null = null;
  for (const id of next.cellOrder) {
    const cell = next.cells[id];
    if (cell && (cell.awaitingDecision || cell.status === 'running' || cell.decisionSent)) {
      cells = cells ?? { ...next.cells };
      cells[id] = {
        ...cell,
        awaitingDecision: false,
        decisionSent: null,
        status: cell.status === 'running' ? 'stopped' : cell.status
      };
    }
  }
  let questions: Record<string, IQuestionView> | null = null;
  for (const id of Object.keys(next.questions)) {
    if (next.questions[id].open) {
      questions = questions ?? { ...next.questions };
      questions[id] = { ...next.questions[id], open: false };
    }
  }
  next = {
    ...next,
    cells: cells ?? next.cells,
    questions: questions ?? next.questions,
    status: stale ? next.status : event.status
  };
  const summary = event.summary?.trim();
  if (!summary) {
    return next;
  }
  const runItems = itemsOfCurrentRun(next);
  if (event.status === 'done') {
    const shown = runItems.some(
      item => item.kind === 'message' && item.role === 'assistant' && item.text.trim() === summary
    );
    return shown
      ? next
      : appendItem(next, messageItem(`m-${event.seq}`, 'assistant', null, event.summary ?? ''));
  }
  const told = runItems.some(item => item.kind === 'notice' && item.text.trim() === summary);
  return told
    ? next
    : appendItem(next, {
        kind: 'notice',
        key: `n-${event.seq}`,
        level: event.status === 'failed' ? 'error' : 'info',
        text: summary,
        code: event.status
      });
}

/** Timeline items after the last user message (the current run's). */
function itemsOfCurrentRun(state: IViewState): readonly TimelineItem[] {
  for (let i = state.timeline.length - 1; i >= 0; i--) {
    const item = state.timeline[i];
    if (item.kind === 'message' && item.role === 'user') {
      return state.timeline.slice(i + 1);
    }
  }
  return state.timeline;
}

// --- plan and cells -----------------------------------------------------------------------

function onPlan(state: IViewState, tasks: readonly ITask[], stale: boolean): IViewState {
  if (stale) {
    return state;
  }
  // Plan events carry no descriptions: keep the ones the snapshot gave.
  const descriptions = new Map(state.plan.map(task => [task.id, task.description]));
  return {
    ...state,
    plan: tasks.map(task =>
      task.description === undefined && descriptions.get(task.id) !== undefined
        ? { ...task, description: descriptions.get(task.id) }
        : task
    )
  };
}

function onCellProposed(state: IViewState, event: ICellProposedEvent, stale: boolean): IViewState {
  const known = state.cells[event.cell_id];
  const taskId = event.task_id ?? null;
  let order = state.cellOrder;
  if (!known) {
    order = [...order, event.cell_id];
  }
  const previous = previousProposal(state, order, event.cell_id, taskId);
  const keepKnown = stale && known !== undefined;
  const cell: ICellView = {
    cellId: event.cell_id,
    taskId,
    source: event.source,
    explanation: event.explanation ?? '',
    review: event.review ?? { verdict: 'none', risk: 'low', findings: [] },
    status: keepKnown ? known.status : 'proposed',
    needsApproval: event.needs_approval,
    awaitingDecision: keepKnown ? known.awaitingDecision : event.needs_approval,
    decisionSent: known?.decisionSent ?? null,
    previousCellId: previous?.cellId ?? null,
    previousSource: previous?.source ?? null,
    outputs: keepKnown ? known.outputs : [],
    executionCount: keepKnown ? known.executionCount : null,
    reason: known?.reason ?? null
  };
  let next: IViewState = { ...state, cellOrder: order, cells: { ...state.cells, [event.cell_id]: cell } };
  if (!findItem(next, `c-${event.cell_id}`)) {
    next = appendItem(next, { kind: 'cell', key: `c-${event.cell_id}`, cellId: event.cell_id });
  }
  if (!stale && event.needs_approval) {
    next = { ...next, status: 'waiting' };
  }
  return next;
}

function previousProposal(
  state: IViewState,
  order: readonly string[],
  cellId: string,
  taskId: string | null
): ICellView | null {
  if (taskId === null) {
    return null;
  }
  const index = order.indexOf(cellId);
  for (let i = index - 1; i >= 0; i--) {
    const cell = state.cells[order[i]];
    if (cell && cell.taskId === taskId) {
      return cell;
    }
  }
  return null;
}

function onCellExecuted(state: IViewState, event: ICellExecutedEvent, stale: boolean): IViewState {
  return cellEvent(state, event.cell_id, stale, {
    status: event.status === 'ok' ? 'done' : 'error',
    awaitingDecision: false,
    decisionSent: null,
    outputs: event.outputs ?? [],
    executionCount: event.execution_count ?? null
  });
}

/** Update a cell from an event; a stale event does not override the snapshot's state. */
function cellEvent(
  state: IViewState,
  cellId: string,
  stale: boolean,
  changes: Partial<ICellView>,
  sessionStatus?: SessionStatus
): IViewState {
  const cell = state.cells[cellId];
  if (!cell) {
    return state;
  }
  const next = stale ? state : updateCell(state, cellId, changes);
  if (!stale && sessionStatus && next.status === 'waiting') {
    return { ...next, status: sessionStatus };
  }
  return next;
}

function updateCell(state: IViewState, cellId: string, changes: Partial<ICellView>): IViewState {
  const cell = state.cells[cellId];
  if (!cell) {
    return state;
  }
  return { ...state, cells: { ...state.cells, [cellId]: { ...cell, ...changes } } };
}

// --- timeline helpers ------------------------------------------------------------------------

function messageItem(
  key: string,
  role: 'user' | 'assistant',
  agent: string | null,
  text: string
): IMessageItem {
  return { kind: 'message', key, role, agent, text, streaming: false, interrupted: false };
}

function appendItem(state: IViewState, item: TimelineItem): IViewState {
  return { ...state, timeline: [...state.timeline, item] };
}

function findIndex(state: IViewState, key: string): number {
  // Drafts and recent items sit at the end: search backwards.
  for (let i = state.timeline.length - 1; i >= 0; i--) {
    if (state.timeline[i].key === key) {
      return i;
    }
  }
  return -1;
}

function findItem(state: IViewState, key: string): TimelineItem | undefined {
  const index = findIndex(state, key);
  return index < 0 ? undefined : state.timeline[index];
}

function replaceItem(state: IViewState, key: string, item: TimelineItem): IViewState {
  const index = findIndex(state, key);
  if (index < 0) {
    return appendItem(state, item);
  }
  const timeline = state.timeline.slice();
  timeline[index] = item;
  return { ...state, timeline };
}

function removeItem(state: IViewState, key: string): IViewState {
  const index = findIndex(state, key);
  if (index < 0) {
    return state;
  }
  const timeline = state.timeline.slice();
  timeline.splice(index, 1);
  return { ...state, timeline };
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
