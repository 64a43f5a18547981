/** The plan as the sidebar shows it: the current tasks, finished ones folded, and what ran. */

import type { ITask } from '../types';
import type { ICellView } from './viewState';

const FINISHED = new Set(['done', 'skipped']);

/** Finished tasks (folded into one line) and the rest, each in plan order. */
export function planSections(tasks: readonly ITask[]): { finished: ITask[]; current: ITask[] } {
  const finished: ITask[] = [];
  const current: ITask[] = [];
  for (const task of tasks) {
    (FINISHED.has(task.status) ? finished : current).push(task);
  }
  return { finished, current };
}

export interface ITaskCells {
  ran: number;
  failed: number;
  blocked: number;
  rejected: number;
  waiting: number;
}

/** What happened to each task's cells (by task id). */
export function cellsByTask(cells: Readonly<Record<string, ICellView>>): Map<string, ITaskCells> {
  const byTask = new Map<string, ITaskCells>();
  for (const cell of Object.values(cells)) {
    if (cell.taskId === null) {
      continue;
    }
    const counts = byTask.get(cell.taskId) ?? { ran: 0, failed: 0, blocked: 0, rejected: 0, waiting: 0 };
    if (cell.status === 'done') {
      counts.ran++;
    } else if (cell.status === 'error') {
      counts.failed++;
    } else if (cell.status === 'blocked') {
      counts.blocked++;
    } else if (cell.status === 'rejected') {
      counts.rejected++;
    } else if (cell.status === 'proposed' && cell.awaitingDecision) {
      counts.waiting++;
    }
    byTask.set(cell.taskId, counts);
  }
  return byTask;
}

/**
 * A task marked done whose cells never ran successfully: the plan must not show it as
 * simply done (a task may be done without cells, e.g. a question answered in words).
 */
export function doneWithoutRunning(task: ITask, counts: ITaskCells | undefined): boolean {
  if (task.status !== 'done' || counts === undefined) {
    return false;
  }
  return counts.ran === 0 && counts.failed + counts.blocked + counts.rejected > 0;
}
