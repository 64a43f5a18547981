import * as React from 'react';

import { cellsByTask, doneWithoutRunning, ITaskCells, planSections } from '../state/plan';
import { ICellView, planProgress } from '../state/viewState';
import type { ITask } from '../types';
import { useTrans } from '../uiContext';

export interface IPlanViewProps {
  tasks: readonly ITask[];
  cells: Readonly<Record<string, ICellView>>;
}

const ICONS: Record<string, string> = {
  pending: '○',
  in_progress: '◐',
  done: '✓',
  failed: '✗',
  skipped: '⤼'
};

/**
 * The planner's tasks for the current run: the ones still to do in full, the finished
 * ones folded into one line; each with what happened to its cells, so that a task
 * marked done although none of its cells ran says so.
 */
export const PlanView = React.memo(function PlanView(props: IPlanViewProps): JSX.Element | null {
  const trans = useTrans();
  const [open, setOpen] = React.useState(true);
  const [showFinished, setShowFinished] = React.useState(false);
  const counts = React.useMemo(() => cellsByTask(props.cells), [props.cells]);
  if (props.tasks.length === 0) {
    return null;
  }
  const { finished, total } = planProgress(props.tasks);
  const sections = planSections(props.tasks);
  const percent = total === 0 ? 0 : Math.round((finished / total) * 100);
  const labels: Record<string, string> = {
    pending: trans.__('pending'),
    in_progress: trans.__('in progress'),
    done: trans.__('done'),
    failed: trans.__('failed'),
    skipped: trans.__('skipped')
  };

  const cellsLine = (cells: ITaskCells | undefined): string | null => {
    if (!cells) {
      return null;
    }
    const parts: string[] = [];
    if (cells.ran) {
      parts.push(trans._n('%1 cell ran', '%1 cells ran', cells.ran));
    }
    if (cells.failed) {
      parts.push(trans._n('%1 failed', '%1 failed', cells.failed));
    }
    if (cells.blocked) {
      parts.push(trans._n('%1 blocked', '%1 blocked', cells.blocked));
    }
    if (cells.rejected) {
      parts.push(trans._n('%1 rejected', '%1 rejected', cells.rejected));
    }
    if (cells.waiting) {
      parts.push(trans._n('%1 waiting', '%1 waiting', cells.waiting));
    }
    return parts.length ? parts.join(' · ') : null;
  };

  const renderTask = (task: ITask) => {
    const cells = counts.get(task.id);
    const unverified = doneWithoutRunning(task, cells);
    const line = cellsLine(cells);
    return (
      <li
        key={task.id}
        className={`jp-CodeAgent-task jp-mod-${task.status} ${unverified ? 'jp-mod-unverified' : ''}`}
        data-task-id={task.id}
        data-status={task.status}
        title={task.description || undefined}
      >
        <span className="jp-CodeAgent-task-icon" aria-hidden="true">
          {unverified ? '!' : (ICONS[task.status] ?? ICONS.pending)}
        </span>
        <span className="jp-CodeAgent-task-title">{task.title}</span>
        <span className="jp-CodeAgent-sr-only">, {labels[task.status] ?? task.status}</span>
        {unverified && (
          <div className="jp-CodeAgent-task-warning">{trans.__('Marked done, but none of its cells ran.')}</div>
        )}
        {line && <div className="jp-CodeAgent-task-cells">{line}</div>}
        {task.note && <div className="jp-CodeAgent-task-note">{task.note}</div>}
      </li>
    );
  };

  return (
    <section className="jp-CodeAgent-plan" aria-label={trans.__('Plan')}>
      <button className="jp-CodeAgent-section-title" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className={`jp-CodeAgent-caret ${open ? 'jp-mod-open' : ''}`} aria-hidden="true">
          ▸
        </span>
        {trans.__('Plan')}
        <span className="jp-CodeAgent-plan-count" aria-label={trans.__('%1 of %2 tasks finished', finished, total)}>
          {finished}/{total}
        </span>
      </button>
      <div
        className="jp-CodeAgent-progress"
        role="progressbar"
        aria-label={trans.__('Plan progress')}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={finished}
      >
        <div className="jp-CodeAgent-progress-bar" style={{ width: `${percent}%` }} />
      </div>
      {open && (
        <div className="jp-CodeAgent-plan-body">
          {sections.finished.length > 0 && (
            <button
              className="jp-CodeAgent-link jp-CodeAgent-plan-finished"
              onClick={() => setShowFinished(!showFinished)}
              aria-expanded={showFinished}
            >
              {showFinished
                ? trans.__('Hide finished tasks')
                : trans._n('✓ %1 finished task', '✓ %1 finished tasks', sections.finished.length)}
            </button>
          )}
          <ol className="jp-CodeAgent-tasks">
            {showFinished && sections.finished.map(renderTask)}
            {sections.current.map(renderTask)}
          </ol>
        </div>
      )}
    </section>
  );
});
