import type { ICellModel } from '@jupyterlab/cells';
import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import type { IAgentCellMetadata } from '../types';

/** The metadata key of agent cells: `{session, cell_id, status}`. */
export const METADATA_KEY = 'codeagent';

/** `metadata.codeagent` of a cell, if it is an agent cell. */
export function agentMetadata(cell: ICellModel): IAgentCellMetadata | null {
  const value: unknown = cell.getMetadata(METADATA_KEY);
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  return value as IAgentCellMetadata;
}

/** Index of the agent cell `cellId` in the notebook, or -1. */
export function findAgentCell(model: INotebookModel, cellId: string): number {
  const cells = model.cells;
  for (let i = 0; i < cells.length; i++) {
    if (agentMetadata(cells.get(i))?.cell_id === cellId) {
      return i;
    }
  }
  return -1;
}

/** Index of the cell whose nbformat id, else agent cell id, is `anchor`; -1 if none. */
export function findAnchor(model: INotebookModel, anchor: string): number {
  const cells = model.cells;
  for (let i = 0; i < cells.length; i++) {
    if (cells.get(i).id === anchor) {
      return i;
    }
  }
  return findAgentCell(model, anchor);
}

/** The open notebook panel with this API path (relative to the server root), if any. */
export function findPanel(tracker: INotebookTracker, path: string): NotebookPanel | null {
  const wanted = normalizePath(path);
  return tracker.find(panel => normalizePath(panel.context.localPath) === wanted) ?? null;
}

export function normalizePath(path: string): string {
  return path.replace(/^\/+/, '');
}
