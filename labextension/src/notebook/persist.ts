import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Contents } from '@jupyterlab/services';

import type { INotebookAck } from '../types';

/**
 * Save the notebook after the agent changed it (the op the server asked this tab to
 * save), without ever overwriting what someone else saved.
 *
 * JupyterLab's own save asks the user when the file changed on disk since this tab
 * loaded or saved it. Such a change is another tab's save, or the server's write while
 * this tab was not attached. When the notebook had no unsaved edits here, this tab
 * takes the file as it is on disk and applies the agent's change again (`reapply` is
 * idempotent), so both are kept and nobody is asked. With unsaved edits here, the
 * user decides, in JupyterLab's dialog, as for any two editors of one file.
 */
export async function saveAgentChange(
  panel: NotebookPanel,
  contents: Contents.IManager,
  wasDirty: boolean,
  reapply: () => INotebookAck
): Promise<INotebookAck> {
  const context = panel.context;
  try {
    if (!context.model.collaborative && !wasDirty && (await changedOnDisk(panel, contents))) {
      await context.revert();
      const again = reapply();
      if (!again.ok) {
        return again;
      }
    }
    await context.save();
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      code: 'save_failed',
      message: error instanceof Error ? error.message : String(error)
    };
  }
}

/** Whether the notebook's file changed since this tab last loaded or saved it. */
export async function changedOnDisk(
  panel: NotebookPanel,
  contents: Contents.IManager
): Promise<boolean> {
  const known = panel.context.contentsModel;
  if (!known) {
    return false;
  }
  let disk: Contents.IModel;
  try {
    disk = await contents.get(panel.context.path, { content: false, hash: true });
  } catch {
    return false; // not saved yet, or gone: the save says what is wrong
  }
  if (known.hash && disk.hash) {
    return known.hash !== disk.hash;
  }
  return Boolean(known.last_modified && disk.last_modified && known.last_modified !== disk.last_modified);
}

/**
 * When a tab (re)attaches: if the file changed while it was away and it has no
 * unsaved edits, load the file (it holds the agent's cells written meanwhile).
 */
export async function catchUpWithDisk(
  panel: NotebookPanel,
  contents: Contents.IManager
): Promise<void> {
  const context = panel.context;
  if (context.model.collaborative || context.model.dirty) {
    return;
  }
  if (await changedOnDisk(panel, contents)) {
    await context.revert();
  }
}
