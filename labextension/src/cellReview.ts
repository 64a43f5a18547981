import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker } from '@jupyterlab/notebook';

import { errorMessage } from './api';
import type { CodeAgentClient } from './client';
import { anchorSource, editInPlace, restoreSource } from './notebook/inlineReview';
import { agentCellSource, revealAgentCell } from './notebook/sessionNotebook';
import { pendingCells } from './state/viewState';
import type { IAgentStore } from './uiState';

/** What the cell review needs of the controller besides its state. */
export interface ICellReviewHost extends IAgentStore {
  readonly app: JupyterFrontEnd;
  readonly tracker: INotebookTracker;
  readonly client: CodeAgentClient;
}

/**
 * The user's review of the agent's cells, from the sidebar or the notebook: approve,
 * reject, edit, undo. Keeps which proposed changes of existing cells were opened for
 * editing in the cell itself, since only those carry the user's code.
 */
export class CellReview {
  constructor(private readonly _host: ICellReviewHost) {}

  /** Run a proposed cell; if the user edited it in the notebook, that code runs. */
  async approve(cellId: string): Promise<void> {
    const { sessionId, sessionPath, view } = this._host.getState();
    const cell = view.cells[cellId];
    if (!sessionId || !cell) {
      return;
    }
    // A change of an existing cell is only in the notebook if the user chose Edit.
    const current = cell.replaces
      ? this._inPlace.has(cellId)
        ? anchorSource(this._host.tracker, sessionPath, cell.replaces)
        : null
      : this.notebookSource(cellId);
    const edited = current !== null && current.trim() && current !== cell.source ? current : undefined;
    this._inPlace.delete(cellId);
    this._host.dispatch({ type: 'decision_sent', cellId, decision: 'approve' });
    try {
      await this._host.client.approve(sessionId, cellId, edited);
    } catch (reason) {
      this._host.dispatch({ type: 'decision_failed', cellId });
      this._host.set({ banner: `Could not approve the cell: ${errorMessage(reason)}` });
    }
  }

  async reject(cellId: string, reason?: string): Promise<void> {
    const { sessionId, sessionPath: path, view } = this._host.getState();
    const cell = view.cells[cellId];
    if (!sessionId || !cell) {
      return;
    }
    const original = this._inPlace.get(cellId);
    if (original !== undefined && path) {
      restoreSource(this._host.tracker, path, cell, original); // the change opened for editing goes
      this._inPlace.delete(cellId);
    }
    this._host.dispatch({ type: 'decision_sent', cellId, decision: 'reject' });
    try {
      await this._host.client.reject(sessionId, cellId, reason?.trim() || undefined);
    } catch (error) {
      this._host.dispatch({ type: 'decision_failed', cellId });
      this._host.set({ banner: `Could not reject the cell: ${errorMessage(error)}` });
    }
  }

  /**
   * Approve from the notebook (the gate's "Approve & run"): the session's own cell
   * through the panel's path, a cell of another session of this notebook directly.
   */
  async approveCell(sessionId: string, cellId: string): Promise<void> {
    const state = this._host.getState();
    if (sessionId === state.sessionId && state.view.cells[cellId]) {
      return this.approve(cellId);
    }
    try {
      const path = state.notebookPath;
      const current = path ? agentCellSource(this._host.tracker, path, cellId) : null;
      await this._host.client.approve(sessionId, cellId, current?.trim() ? current : undefined);
    } catch (reason) {
      this._host.set({ banner: `Could not approve the cell: ${errorMessage(reason)}` });
    }
  }

  /** Undo a cell that ran (`cellId`), or the whole last run (null); false if refused. */
  async undo(cellId: string | null): Promise<boolean> {
    const sessionId = this._host.getState().sessionId;
    if (!sessionId) {
      return false;
    }
    const client = this._host.client;
    try {
      await (cellId === null ? client.revert(sessionId) : client.undo(sessionId, cellId));
      return true;
    } catch (reason) {
      const what = cellId === null ? 'revert the run' : 'undo the cell';
      this._host.set({ banner: `Could not ${what}: ${errorMessage(reason)}` });
      return false;
    }
  }

  /** The first cell waiting for a decision (keyboard shortcuts act on it). */
  firstPendingCell(): string | null {
    return pendingCells(this._host.getState().view)[0]?.cellId ?? null;
  }

  /** The agent cell's current source in the open notebook (null if not open / not found). */
  notebookSource(cellId: string): string | null {
    return agentCellSource(this._host.tracker, this._host.getState().sessionPath, cellId);
  }

  /** A proposed change of an existing cell the user opened for editing in that cell. */
  isEditingInPlace(cellId: string): boolean {
    return this._inPlace.has(cellId);
  }

  /** Edit: show the agent cell in the notebook, in edit mode with the cursor in it. */
  async editCell(cellId: string): Promise<void> {
    const { sessionPath: path, view } = this._host.getState();
    const cell = view.cells[cellId];
    if (!path || !cell) {
      return;
    }
    const { app, tracker } = this._host;
    if (cell.replaces) {
      // The proposed code goes into the cell it changes (put back on reject).
      const result = await editInPlace(app, tracker, path, cell, this._inPlace.has(cellId));
      if ('problem' in result) {
        this._host.set({ banner: result.problem });
      } else if (!this._inPlace.has(cellId)) {
        this._inPlace.set(cellId, result.original);
        this._host.set({}); // the inline bar says so
      }
      return;
    }
    const problem = await revealAgentCell(app, tracker, path, cellId);
    if (problem) {
      this._host.set({ banner: problem });
    }
  }

  /** The code a waiting change replaces, from the open notebook (for its diff). */
  readReplacedCells(): void {
    const { view, sessionPath } = this._host.getState();
    for (const cellId of view.cellOrder) {
      const cell = view.cells[cellId];
      if (cell?.replaces && cell.previousSource === null && cell.status === 'proposed') {
        const source = anchorSource(this._host.tracker, sessionPath, cell.replaces);
        if (source !== null) {
          this._host.dispatch({ type: 'replaced_source', cellId, source });
        }
      }
    }
  }

  /** Changes of existing cells opened for editing: cell id → the cell's code before. */
  private readonly _inPlace = new Map<string, string>();
}
