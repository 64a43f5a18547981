/**
 * What the controller asks of a session's notebook: an agent cell's current source,
 * showing an agent cell for editing, and the notebook's kernel.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, Notebook } from '@jupyterlab/notebook';

import { findAgentCell, findPanel } from './agentCells';

const KERNEL_WAIT_MS = 15_000;

/** The agent cell's current source in the open notebook (null if not open / not found). */
export function agentCellSource(tracker: INotebookTracker, path: string | null, cellId: string): string | null {
  const panel = path ? findPanel(tracker, path) : null;
  const model = panel?.content.model;
  if (!model) {
    return null;
  }
  const index = findAgentCell(model, cellId);
  return index < 0 ? null : model.cells.get(index).sharedModel.getSource();
}

/**
 * Show the agent cell in the notebook (opened if needed), in edit mode with the cursor
 * in it. Returns why it could not, as a sentence, or null.
 */
export async function revealAgentCell(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  path: string,
  cellId: string
): Promise<string | null> {
  let panel = findPanel(tracker, path);
  if (!panel) {
    await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    panel = findPanel(tracker, path);
  }
  if (!panel) {
    return `Could not open ${path} to edit the cell.`;
  }
  await panel.context.ready;
  const model = panel.content.model;
  const index = model ? findAgentCell(model, cellId) : -1;
  if (index < 0) {
    return 'This cell is not in the notebook (was it deleted?).';
  }
  app.shell.activateById(panel.id);
  await focusCellEditor(panel.content, index);
  return null;
}

/**
 * Put the cursor in a cell's editor. A windowed notebook creates the editor of a cell
 * scrolled into view only later, so wait for it: focusing too early does nothing.
 */
export async function focusCellEditor(notebook: Notebook, index: number): Promise<void> {
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  const cell = notebook.widgets[index];
  await notebook.scrollToCell(cell);
  await cell.ready;
  notebook.mode = 'edit';
  cell.editor?.focus();
}

/** The kernel id of the open notebook at `path` (waits a while for its session). */
export async function kernelIdOf(tracker: INotebookTracker, path: string): Promise<string | null> {
  const panel = findPanel(tracker, path);
  if (!panel) {
    return null;
  }
  const context = panel.sessionContext;
  await Promise.race([context.ready, new Promise(resolve => setTimeout(resolve, KERNEL_WAIT_MS))]);
  return context.session?.kernel?.id ?? null;
}
