import * as React from 'react';

import { planProgress } from '../state/viewState';
import type { ITask } from '../types';

export interface IPlanViewProps {
  tasks: readonly ITask[];
}

const ICONS: Record<string, { icon: string; label: string }> = {
  pending: { icon: '○', label: 'pending' },
  in_progress: { icon: '◐', label: 'in progress' },
  done: { icon: '✓', label: 'done' },
  failed: { icon: '✗', label: 'failed' },
  skipped: { icon: '⤼', label: 'skipped' }
};

/** The planner's tasks with status icons, a progress bar and notes; updates live. */
export const PlanView = React.memo(function PlanView(props: IPlanViewProps): JSX.Element | null {
  const [open, setOpen] = React.useState(true);
  if (props.tasks.length === 0) {
    return null;
  }
  const { finished, total } = planProgress(props.tasks);
  const percent = total === 0 ? 0 : Math.round((finished / total) * 100);
  return (
    <section className="jp-CodeAgent-plan" aria-label="Plan">
      <button className="jp-CodeAgent-section-title" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className={`jp-CodeAgent-caret ${open ? 'jp-mod-open' : ''}`} aria-hidden="true">
          ▸
        </span>
        Plan
        <span className="jp-CodeAgent-plan-count">
          {finished}/{total}
        </span>
      </button>
      <div
        className="jp-CodeAgent-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={finished}
      >
        <div className="jp-CodeAgent-progress-bar" style={{ width: `${percent}%` }} />
      </div>
      {open && (
        <ol className="jp-CodeAgent-tasks">
          {props.tasks.map(task => {
            const status = ICONS[task.status] ?? ICONS.pending;
            return (
              <li
                key={task.id}
                className={`jp-CodeAgent-task jp-mod-${task.status}`}
                data-task-id={task.id}
                data-status={task.status}
                title={task.description || undefined}
              >
                <span className="jp-CodeAgent-task-icon" aria-label={status.label} role="img">
                  {status.icon}
                </span>
                <span className="jp-CodeAgent-task-title">{task.title}</span>
                {task.note && <div className="jp-CodeAgent-task-note">{task.note}</div>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
});
