import type { Cell, ICellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { agentMetadata } from './agentCells';

const CELL_CLASS = 'jp-CodeAgent-cell';
const STATUS_ATTRIBUTE = 'data-codeagent-status';

/**
 * Marks agent cells in every open notebook by their `metadata.codeagent.status`:
 * a class (`jp-CodeAgent-cell`) and a `data-codeagent-status` attribute that the
 * stylesheet turns into a coloured left border and a small label.
 */
export class CellStatusMarker {
  constructor(tracker: INotebookTracker) {
    tracker.forEach(panel => this._watch(panel));
    tracker.widgetAdded.connect((_, panel) => this._watch(panel));
  }

  private _watch(panel: NotebookPanel): void {
    const notebook = panel.content;
    const watched = new WeakSet<ICellModel>();
    const schedule = () => this._schedule(panel);
    const connectCells = () => {
      const model = notebook.model;
      if (!model) {
        return;
      }
      for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        if (!watched.has(cell)) {
          watched.add(cell);
          cell.metadataChanged.connect(schedule);
        }
      }
      schedule();
    };
    const onModel = () => {
      notebook.model?.cells.changed.connect(connectCells);
      connectCells();
    };
    notebook.modelChanged.connect(onModel);
    notebook.cellInViewportChanged.connect(schedule);
    void panel.context.ready.then(onModel);
    onModel();
  }

  private _schedule(panel: NotebookPanel): void {
    if (this._scheduled.has(panel)) {
      return;
    }
    this._scheduled.add(panel);
    requestAnimationFrame(() => {
      this._scheduled.delete(panel);
      if (!panel.isDisposed) {
        markCells(panel.content.widgets);
      }
    });
  }

  private readonly _scheduled = new Set<NotebookPanel>();
}

export function markCells(cells: readonly Cell[]): void {
  for (const cell of cells) {
    const status = cell.model ? agentMetadata(cell.model)?.status : undefined;
    const node = cell.node;
    if (status) {
      node.classList.add(CELL_CLASS);
      if (node.getAttribute(STATUS_ATTRIBUTE) !== status) {
        node.setAttribute(STATUS_ATTRIBUTE, status);
      }
    } else if (node.classList.contains(CELL_CLASS)) {
      node.classList.remove(CELL_CLASS);
      node.removeAttribute(STATUS_ATTRIBUTE);
    }
  }
}
