import type * as nbformat from '@jupyterlab/nbformat';
import { JSONExt, type PartialJSONObject, type PartialJSONValue } from '@lumino/coreutils';

import { METADATA_KEY } from './agentCells';

/**
 * Notebook metadata JupyterLab writes by itself once the kernel reports its language.
 * A notebook opened from a file without them is "unsaved" from that moment, before the
 * user has touched anything.
 */
export const KERNEL_METADATA = ['kernelspec', 'language_info'] as const;

/**
 * Whether the file's version of a notebook can replace the one open in a tab without
 * losing anything the user did there: the two may differ only in agent cells (the
 * server keeps their record and sends the tab what it lacks), in the metadata the kernel
 * sets, and in `exempt`, the cell whose agent change is being saved (it is applied again).
 *
 * The user's own cells must agree in order, kind, code, and in their runs (execution
 * count and number of outputs), so a cell the user ran here and did not save counts as
 * an edit. Blank cells never run hold nothing to lose: JupyterLab puts one in a tab
 * whose file has no cells. An agent cell both versions have must have the same code:
 * the user may have edited a proposal here.
 */
export function onlyAgentChanges(
  open: nbformat.INotebookContent,
  file: nbformat.INotebookContent,
  exempt?: string
): boolean {
  const sameMetadata = JSONExt.deepEqual(
    userMetadata(open.metadata),
    userMetadata(file.metadata)
  );
  if (!sameMetadata || !JSONExt.deepEqual(userCells(open, exempt), userCells(file, exempt))) {
    return false;
  }
  const fileAgentCode = agentCode(file, exempt);
  for (const [cellId, code] of agentCode(open, exempt)) {
    const other = fileAgentCode.get(cellId);
    if (other !== undefined && other !== code) {
      return false;
    }
  }
  return true;
}

function userMetadata(metadata: nbformat.INotebookMetadata | undefined): PartialJSONObject {
  const rest: PartialJSONObject = { ...(metadata ?? {}) };
  for (const key of KERNEL_METADATA) {
    delete rest[key];
  }
  return rest;
}

function userCells(nb: nbformat.INotebookContent, exempt?: string): PartialJSONValue[] {
  return nb.cells
    .filter(cell => agentCellId(cell) === null && (exempt === undefined || cell.id !== exempt))
    .filter(cell => !blankAndNeverRun(cell))
    .map(cell => {
      const code = cell.cell_type === 'code' ? (cell as nbformat.ICodeCell) : null;
      return [
        cell.cell_type,
        text(cell.source),
        code?.execution_count ?? null,
        code?.outputs?.length ?? 0
      ];
    });
}

function blankAndNeverRun(cell: nbformat.ICell): boolean {
  const code = cell.cell_type === 'code' ? (cell as nbformat.ICodeCell) : null;
  const ran = (code?.execution_count ?? null) !== null || (code?.outputs?.length ?? 0) > 0;
  return !ran && text(cell.source).trim() === '';
}

function agentCode(nb: nbformat.INotebookContent, exempt?: string): Map<string, string> {
  const code = new Map<string, string>();
  for (const cell of nb.cells) {
    const cellId = agentCellId(cell);
    if (cellId !== null && cellId !== exempt) {
      code.set(cellId, text(cell.source));
    }
  }
  return code;
}

function agentCellId(cell: nbformat.ICell): string | null {
  const meta = cell.metadata?.[METADATA_KEY] as { cell_id?: unknown } | undefined;
  return typeof meta?.cell_id === 'string' ? meta.cell_id : null;
}

function text(source: nbformat.MultilineString): string {
  return Array.isArray(source) ? source.join('') : source;
}
