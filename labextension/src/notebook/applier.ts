import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Contents } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';

import type { INotebookOpApplier } from '../connection';
import type {
  IAgentCellMetadata,
  IInsertCellOp,
  INotebookAck,
  IUpdateCellOp,
  NotebookOp
} from '../types';
import { METADATA_KEY, agentMetadata, findAgentCell, findAnchor, findPanel } from './agentCells';
import { catchUpWithDisk, saveAgentChange } from './persist';
import { SerialQueue } from './serialQueue';

/**
 * Applies the server's cell operations (`notebook/live.py`) to the notebook open in
 * this JupyterLab, through its model: the document stays the one the user edits, so
 * there is no "file changed on disk" conflict. An op marked `save` (this tab is the
 * one the server asked) is saved at once, so a reload finds every agent cell; a tab
 * that only shows the change stays as clean as it was.
 *
 * With real-time collaboration the server writes the shared document itself and sends
 * no ops; this is the path without it.
 */
export class NotebookApplier implements INotebookOpApplier {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _contents: Contents.IManager
  ) {}

  /**
   * Apply one op. Ops are applied one at a time, in the order they arrived: a save may
   * reload the file (`saveAgentChange`), and an op applied to the model meanwhile would
   * be lost by that reload although it was acknowledged (the server then takes its
   * cell for deleted by the user). The server sends ops from more than one task (the
   * run, the outputs of a running cell, the catch-up after a reconnection).
   */
  apply(op: NotebookOp): Promise<INotebookAck> {
    return this.exclusive(() => this._apply(op));
  }

  /** Run `task` when the ops before it are applied, and before any op after it. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this._queue.run(task);
  }

  private async _apply(op: NotebookOp): Promise<INotebookAck> {
    const panel = findPanel(this._tracker, op.path);
    if (!panel) {
      return { ok: false, code: 'not_open', message: `${op.path} is not open in this JupyterLab.` };
    }
    await panel.context.ready;
    const model = panel.content.model;
    if (!model) {
      return { ok: false, code: 'not_open', message: `${op.path} has no model.` };
    }
    const wasDirty = model.dirty;
    const change = () => applyOp(model, op);
    const ack = change();
    if (!ack.ok) {
      return ack;
    }
    if (op.save) {
      const changedCell =
        op.op === 'insert_cell' || op.source !== undefined ? op.cell_id : undefined;
      return saveAgentChange(panel, this._contents, wasDirty, change, changedCell);
    }
    if (!wasDirty) {
      // The agent's change alone does not make the notebook "unsaved": the outputs of a
      // running cell are saved with its result, and another tab saves this change.
      model.dirty = false;
      if (!op.transient) {
        // Once that tab has saved, take its file as this tab's own (no "file changed").
        this._catchUpLater(panel);
      }
    }
    return ack;
  }

  private _catchUpLater(panel: NotebookPanel): void {
    clearTimeout(this._catchUps.get(panel));
    this._catchUps.set(
      panel,
      setTimeout(() => {
        this._catchUps.delete(panel);
        if (!panel.isDisposed) {
          void this.exclusive(() => catchUpWithDisk(panel, this._contents)).catch(reason =>
            console.warn('jupyter-codeagent: cannot reload the saved notebook', reason)
          );
        }
      }, CATCH_UP_DELAY_MS)
    );
  }

  private readonly _catchUps = new Map<NotebookPanel, ReturnType<typeof setTimeout>>();
  private readonly _queue = new SerialQueue();
}

/** How long a tab that only shows an agent change waits for the other tab's save. */
const CATCH_UP_DELAY_MS = 1500;

/** Apply one op to a notebook model (idempotent: applying it twice changes nothing more). */
export function applyOp(model: INotebookModel, op: NotebookOp): INotebookAck {
  switch (op.op) {
    case 'insert_cell':
      return insertCell(model, op);
    case 'update_cell':
      return updateCell(model, op);
    default:
      return {
        ok: false,
        code: 'unknown_op',
        message: `Unknown notebook operation ${String((op as { op?: unknown }).op)}.`
      };
  }
}

function sourceText(source: string | string[]): string {
  return Array.isArray(source) ? source.join('') : source;
}

function insertCell(model: INotebookModel, op: IInsertCellOp): INotebookAck {
  const meta = (op.cell.metadata?.[METADATA_KEY] ?? {}) as IAgentCellMetadata;
  const source = sourceText(op.cell.source);
  const existing = findAgentCell(model, op.cell_id);
  if (existing >= 0) {
    // A retried insert: update instead of duplicating.
    const cell = model.cells.get(existing);
    if (cell.sharedModel.getSource() !== source) {
      cell.sharedModel.setSource(source);
    }
    setStatus(cell, meta.status);
    if ((op.cell.outputs ?? []).length > 0 || op.cell.execution_count) {
      setOutputs(cell, op.cell.outputs as nbformat.IOutput[], op.cell.execution_count ?? null);
    }
    return { ok: true };
  }
  let index = model.cells.length;
  if (op.after) {
    const anchor = findAnchor(model, op.after);
    if (anchor >= 0) {
      index = anchor + 1;
    }
  }
  const taken = new Set<string>();
  for (let i = 0; i < model.cells.length; i++) {
    taken.add(model.cells.get(i).id);
  }
  let id = op.cell.id ?? op.cell_id;
  while (!id || taken.has(id)) {
    id = UUID.uuid4().replace(/-/g, '').slice(0, 12);
  }
  model.sharedModel.insertCell(index, {
    cell_type: 'code',
    id,
    source,
    metadata: { ...(op.cell.metadata ?? {}) } as nbformat.ICodeCellMetadata,
    outputs: (op.cell.outputs ?? []) as nbformat.IOutput[],
    execution_count: op.cell.execution_count ?? null
  });
  return { ok: true };
}

function updateCell(model: INotebookModel, op: IUpdateCellOp): INotebookAck {
  let index = findAgentCell(model, op.cell_id);
  if (index < 0) {
    index = findAnchor(model, op.cell_id); // a user's own cell an approved proposal changes
  }
  if (index < 0) {
    return {
      ok: false,
      code: 'not_found',
      message: 'The cell is not in the notebook (deleted?).'
    };
  }
  const cell = model.cells.get(index);
  if (op.source !== undefined && cell.sharedModel.getSource() !== op.source) {
    cell.sharedModel.setSource(op.source);
  }
  setStatus(cell, op.status);
  if (op.outputs !== undefined || op.execution_count !== undefined) {
    setOutputs(cell, op.outputs as nbformat.IOutput[] | undefined, op.execution_count);
  }
  return { ok: true };
}

function setOutputs(
  cell: ICellModel,
  outputs: nbformat.IOutput[] | undefined,
  executionCount: number | null | undefined
): void {
  if (cell.type !== 'code') {
    return;
  }
  const code = cell as ICodeCellModel;
  if (outputs !== undefined) {
    code.outputs.clear();
    for (const output of outputs) {
      code.outputs.add(output);
    }
  }
  if (executionCount !== undefined) {
    code.executionCount = executionCount;
  }
}

function setStatus(cell: ICellModel, status: string | undefined): void {
  if (status === undefined) {
    return;
  }
  const meta = agentMetadata(cell) ?? {};
  if (meta.status !== status) {
    cell.setMetadata(METADATA_KEY, { ...meta, status });
  }
}

/** This session's agent cells in the open notebook, as `attach` reports them. */
export function reportCells(model: INotebookModel, sessionId: string): IReportedCell[] {
  const cells: IReportedCell[] = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    const meta = agentMetadata(cell);
    if (!meta?.cell_id || (meta.session && meta.session !== sessionId)) {
      continue;
    }
    const code = cell.type === 'code' ? (cell as ICodeCellModel) : null;
    cells.push({
      cell_id: meta.cell_id,
      session: meta.session,
      status: meta.status,
      source: cell.sharedModel.getSource(),
      outputs: code ? code.outputs.length : 0,
      execution_count: code?.executionCount ?? null
    });
  }
  return cells;
}

/** One agent cell as a browser reports it when it attaches (`notebook/cells.py`). */
export interface IReportedCell {
  cell_id: string;
  session?: string;
  status?: string;
  source: string;
  outputs: number;
  execution_count: number | null;
}
