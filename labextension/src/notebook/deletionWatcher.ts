import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { agentMetadata } from './agentCells';

/** Tells the session that a person removed one of its agent cells from the notebook. */
export type CellDeletedReporter = (sessionId: string, cellId: string) => Promise<void>;

/**
 * Watches every open notebook for agent cells that disappear: a person deleted (or cut)
 * them, here or, with real-time collaboration, in another tab. The session records it
 * once and stops writing to that cell. A change that replaces every cell at once (a
 * reload from disk, a revert) is not a deletion, and the closing of a notebook neither.
 */
export class DeletionWatcher {
  constructor(
    tracker: INotebookTracker,
    private readonly _report: CellDeletedReporter
  ) {
    tracker.forEach(panel => this._watch(panel));
    tracker.widgetAdded.connect((_, panel) => this._watch(panel));
  }

  private _watch(panel: NotebookPanel): void {
    let known = new Map<string, string>();
    let count = 0; // cells when last checked
    let scheduled = false;
    let wholesale = false;
    const check = () => {
      scheduled = false;
      const model = panel.content.model;
      if (panel.isDisposed || !model) {
        return;
      }
      const now = agentCellsOf(model);
      if (!wholesale) {
        for (const [cellId, sessionId] of known) {
          if (!now.has(cellId)) {
            void this._report(sessionId, cellId).catch(reason =>
              console.warn('jupyter-codeagent: could not report a deleted cell', reason)
            );
          }
        }
      }
      wholesale = false;
      known = now;
      count = model.cells.length;
    };
    const onModel = () => {
      const model = panel.content.model;
      if (!model) {
        return;
      }
      known = agentCellsOf(model);
      count = model.cells.length;
      model.cells.changed.connect((_, change) => {
        if (change.type === 'remove' && change.oldValues.length >= Math.max(count, 1)) {
          wholesale = true; // the whole notebook is being replaced (a reload, a revert)
        }
        if (!scheduled) {
          scheduled = true;
          setTimeout(check, 0);
        }
      });
    };
    void panel.context.ready.then(onModel);
  }
}

/** cell id → session id of the agent cells of a notebook. */
function agentCellsOf(model: INotebookModel): Map<string, string> {
  const cells = new Map<string, string>();
  for (let i = 0; i < model.cells.length; i++) {
    const meta = agentMetadata(model.cells.get(i));
    if (meta?.cell_id && meta.session) {
      cells.set(meta.cell_id, meta.session);
    }
  }
  return cells;
}
