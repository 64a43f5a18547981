/** What needs the user, from the view state: the waiting bar, the badge, notifications. */

import type { SessionStatus } from '../types';
import { IViewState, isActive, openQuestions, pendingCells } from './viewState';

export interface IAttention {
  /** Cells waiting for approve / reject, oldest first. */
  waitingCells: readonly string[];
  /** Questions of the agents waiting for an answer. */
  openQuestions: number;
  status: SessionStatus;
}

export function attentionOf(state: IViewState): IAttention {
  return {
    waitingCells: pendingCells(state).map(cell => cell.cellId),
    openQuestions: openQuestions(state).length,
    status: state.status
  };
}

/** Everything that waits for the user (the badge's number). */
export function waitingTotal(attention: IAttention): number {
  return attention.waitingCells.length + attention.openQuestions;
}

export type AttentionChange =
  | { kind: 'cells_waiting'; cellIds: readonly string[] }
  | { kind: 'question' }
  | { kind: 'run_finished'; status: SessionStatus };

/**
 * What became worth telling between two states of the same session: cells that started
 * waiting, a new question, the end of a run.
 */
export function attentionChanges(before: IAttention, after: IAttention): AttentionChange[] {
  const changes: AttentionChange[] = [];
  const known = new Set(before.waitingCells);
  const fresh = after.waitingCells.filter(id => !known.has(id));
  if (fresh.length > 0) {
    changes.push({ kind: 'cells_waiting', cellIds: fresh });
  }
  if (after.openQuestions > before.openQuestions) {
    changes.push({ kind: 'question' });
  }
  if (isActive(before.status) && !isActive(after.status) && after.status !== 'idle') {
    changes.push({ kind: 'run_finished', status: after.status });
  }
  return changes;
}
