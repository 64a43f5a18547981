import * as React from 'react';

import type { ICellView, IViewState } from '../state/viewState';
import { useServices } from '../uiContext';

export interface IUndoButtonProps {
  cell: ICellView;
}

const RAN = new Set(['done', 'error']);

/** Undo on a card whose cell ran: puts the kernel and files back as before it ran. */
export function UndoButton(props: IUndoButtonProps): JSX.Element | null {
  const { controller } = useServices();
  const { cell } = props;
  const [busy, setBusy] = React.useState(false);
  if (cell.status === 'undone') {
    return (
      <div className="jp-CodeAgent-undo jp-mod-undone" role="note">
        Undone: the kernel's variables and the files it wrote are as before this cell ran.
      </div>
    );
  }
  if (cell.status === 'proposed' && cell.undoable === false) {
    return (
      <div className="jp-CodeAgent-undo jp-mod-not-undoable" role="note">
        If it runs, it cannot be undone: {cell.undoNote ?? 'the kernel cannot keep what it changes.'}
      </div>
    );
  }
  if (!RAN.has(cell.status)) {
    return null;
  }
  if (cell.undoable === false) {
    return (
      <div className="jp-CodeAgent-undo jp-mod-not-undoable" role="note">
        Cannot be undone: {cell.undoNote ?? 'the kernel kept no undo data for it.'}
      </div>
    );
  }
  const undo = async () => {
    setBusy(true);
    await controller.undo(cell.cellId);
    setBusy(false);
  };
  return (
    <div className="jp-CodeAgent-undo">
      <button
        className="jp-Button jp-mod-styled jp-CodeAgent-undo-button"
        onClick={() => void undo()}
        disabled={busy}
        title="Put the kernel's variables and the files this cell wrote back as they were before it ran"
      >
        {busy ? 'Undoing…' : 'Undo'}
      </button>
    </div>
  );
}

export interface IRevertRunButtonProps {
  timeline: IViewState['timeline'];
  cells: IViewState['cells'];
}

/** Revert run, after the conversation: undoes the last run's cells, newest first. */
export function RevertRunButton(props: IRevertRunButtonProps): JSX.Element | null {
  const { controller } = useServices();
  const state = React.useSyncExternalStore(controller.subscribe, controller.getState);
  const [busy, setBusy] = React.useState(false);
  const status = state.view.status;
  if (status === 'running' || status === 'waiting' || status === 'idle') {
    return null;
  }
  // The last run starts at the last user message; its cells follow.
  let start = -1;
  props.timeline.forEach((item, index) => {
    if (item.kind === 'message' && item.role === 'user') {
      start = index;
    }
  });
  const ran = props.timeline
    .slice(start + 1)
    .filter(item => item.kind === 'cell' && RAN.has(props.cells[item.cellId]?.status ?? ''));
  if (start < 0 || ran.length === 0) {
    return null;
  }
  const revert = async () => {
    setBusy(true);
    await controller.undo(null);
    setBusy(false);
  };
  return (
    <div className="jp-CodeAgent-revert">
      <button
        className="jp-Button jp-mod-styled jp-CodeAgent-revert-button"
        onClick={() => void revert()}
        disabled={busy}
        title="Undo every cell of the last run, newest first: the kernel and files as before the run"
      >
        {busy ? 'Reverting…' : `Revert run (${ran.length} cell${ran.length === 1 ? '' : 's'})`}
      </button>
    </div>
  );
}
