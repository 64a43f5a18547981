/** The plan and cells part of the reducer: plan updates and the agent cells' lifecycle. */

import type {
  ICellExecutedEvent,
  ICellExecutingEvent,
  ICellProposedEvent,
  ITask,
  SessionStatus
} from '../types';
import { appendItem, findItem } from './timeline';
import { ICellView, IViewState } from './viewState';

// --- plan and cells -----------------------------------------------------------------------

export function onPlan(state: IViewState, tasks: readonly ITask[], stale: boolean): IViewState {
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

export function onCellProposed(state: IViewState, event: ICellProposedEvent, stale: boolean): IViewState {
  const known = state.cells[event.cell_id];
  const taskId = event.task_id ?? null;
  let order = state.cellOrder;
  if (!known) {
    order = [...order, event.cell_id];
  }
  const replaces = event.replaces ?? null;
  // A change of an earlier agent cell shows its diff against that cell's code; a change
  // of the user's own cell gets its code from the notebook (action `replaced_source`).
  const replaced = replaces !== null ? state.cells[replaces] : undefined;
  const previous =
    replaces !== null
      ? replaced
        ? { cellId: replaced.cellId, source: replaced.editedSource ?? replaced.source }
        : null
      : previousProposal(state, order, event.cell_id, taskId);
  const rounds = known?.rounds?.length ? known.rounds : (state.pendingRounds ?? []);
  const keepKnown = stale && known !== undefined;
  const cell: ICellView = {
    cellId: event.cell_id,
    taskId,
    source: event.source,
    editedSource: known?.editedSource ?? null,
    explanation: event.explanation ?? '',
    review: event.review ?? { verdict: 'none', risk: 'low', findings: [] },
    status: keepKnown ? known.status : 'proposed',
    needsApproval: event.needs_approval,
    awaitingDecision: keepKnown ? known.awaitingDecision : event.needs_approval,
    decisionSent: known?.decisionSent ?? null,
    previousCellId: previous?.cellId ?? null,
    previousSource: previous?.source ?? known?.previousSource ?? null,
    outputs: keepKnown ? known.outputs : [],
    executionCount: keepKnown ? known.executionCount : null,
    reason: known?.reason ?? null,
    approvalReason: event.approval_reason ?? null,
    replaces,
    rounds,
    undoable: known?.undoable ?? event.undoable ?? null,
    undoNote: known?.undoNote ?? event.undo_note ?? null
  };
  let next: IViewState = {
    ...state,
    cellOrder: order,
    cells: { ...state.cells, [event.cell_id]: cell },
    pendingRounds: []
  };
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

export function onCellExecuting(
  state: IViewState,
  event: ICellExecutingEvent,
  stale: boolean
): IViewState {
  // What ran is history, not state: recorded even when replayed.
  const edited = updateCell(state, event.cell_id, {
    ...(event.source ? { editedSource: event.source } : {}),
    undoable: event.undoable ?? null,
    undoNote: event.undo_note ?? null
  });
  return cellEvent(
    edited,
    event.cell_id,
    stale,
    { status: 'running', awaitingDecision: false, decisionSent: null },
    'running'
  );
}

export function onCellExecuted(state: IViewState, event: ICellExecutedEvent, stale: boolean): IViewState {
  return cellEvent(state, event.cell_id, stale, {
    status: event.status === 'ok' ? 'done' : 'error',
    awaitingDecision: false,
    decisionSent: null,
    outputs: event.outputs ?? [],
    executionCount: event.execution_count ?? null
  });
}

/** Update a cell from an event; a stale event does not override the snapshot's state. */
export function cellEvent(
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

export function updateCell(state: IViewState, cellId: string, changes: Partial<ICellView>): IViewState {
  const cell = state.cells[cellId];
  if (!cell) {
    return state;
  }
  return { ...state, cells: { ...state.cells, [cellId]: { ...cell, ...changes } } };
}
