import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel, INotebookTracker } from '@jupyterlab/notebook';
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

/**
 * Applies the server's cell operations (`notebook/live.py`) to the notebook open in
 * this JupyterLab, through its model: the document stays the one the user edits, so
 * there is no "file changed on disk" conflict. The user's next save persists it.
 */
export class NotebookApplier implements INotebookOpApplier {
  constructor(private readonly _tracker: INotebookTracker) {}

  async apply(op: NotebookOp): Promise<INotebookAck> {
    const panel = findPanel(this._tracker, op.path);
    if (!panel) {
      return { ok: false, code: 'not_open', message: `${op.path} is not open in this JupyterLab.` };
    }
    await panel.context.ready;
    const model = panel.content.model;
    if (!model) {
      return { ok: false, code: 'not_open', message: `${op.path} has no model.` };
    }
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
    cell.sharedModel.setSource(source);
    setStatus(cell, meta.status);
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
      message: `The cell ${op.cell_id} is not in the notebook (deleted?).`
    };
  }
  const cell = model.cells.get(index);
  if (op.source !== undefined) {
    cell.sharedModel.setSource(op.source);
  }
  setStatus(cell, op.status);
  if (cell.type === 'code') {
    const code = cell as ICodeCellModel;
    if (op.outputs !== undefined) {
      code.outputs.clear();
      for (const output of op.outputs) {
        code.outputs.add(output as nbformat.IOutput);
      }
    }
    if (op.execution_count !== undefined) {
      code.executionCount = op.execution_count;
    }
  }
  return { ok: true };
}

function setStatus(cell: ICellModel, status: string | undefined): void {
  if (status === undefined) {
    return;
  }
  const meta = agentMetadata(cell) ?? {};
  cell.setMetadata(METADATA_KEY, { ...meta, status });
}
