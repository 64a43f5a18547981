import type * as nbformat from '@jupyterlab/nbformat';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Contents } from '@jupyterlab/services';
import { JSONExt } from '@lumino/coreutils';

import type { INotebookAck } from '../types';
import { KERNEL_METADATA, onlyAgentChanges } from './unsavedEdits';

/**
 * Save the notebook after the agent changed it (the op the server asked this tab to
 * save), without ever overwriting what someone else saved.
 *
 * JupyterLab's own save asks the user when the file changed on disk since this tab
 * loaded or saved it. Such a change is another tab's save, or the server's write while
 * this tab was not attached. When nothing the user did here would be lost, this tab
 * takes the file as it is on disk and applies the agent's change again (`reapply` is
 * idempotent), so both are kept and nobody is asked. With edits of the user's here that
 * the file lacks, the user decides, in JupyterLab's dialog, as for any two editors of
 * one file. `changedCell`: the cell whose code the agent's change sets, if any.
 */
export async function saveAgentChange(
  panel: NotebookPanel,
  contents: Contents.IManager,
  wasDirty: boolean,
  reapply: () => INotebookAck,
  changedCell?: string
): Promise<INotebookAck> {
  try {
    if (await takeFileIfNothingIsLost(panel, contents, wasDirty, changedCell)) {
      const again = reapply();
      if (!again.ok) {
        return again;
      }
    }
    await panel.context.save();
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
 * When a tab (re)attaches: if the file changed while it was away (it holds the agent's
 * cells written meanwhile), load it, unless that would lose something the user did here.
 */
export async function catchUpWithDisk(
  panel: NotebookPanel,
  contents: Contents.IManager
): Promise<void> {
  await takeFileIfNothingIsLost(panel, contents, panel.context.model.dirty);
}

/**
 * Load the file in place of the open notebook if it changed on disk and the open one
 * has nothing of the user's the file lacks (`onlyAgentChanges`). An "unsaved" notebook
 * qualifies when all it has unsaved is agent cells and the kernel's metadata, which is
 * kept: JupyterLab marks every notebook it opens from a file without `language_info`
 * as unsaved once the kernel starts. Returns whether the file was loaded.
 */
async function takeFileIfNothingIsLost(
  panel: NotebookPanel,
  contents: Contents.IManager,
  dirty: boolean,
  changedCell?: string
): Promise<boolean> {
  const context = panel.context;
  const model = context.model;
  if (model.collaborative || !(await changedOnDisk(panel, contents))) {
    return false;
  }
  if (dirty) {
    let file: Contents.IModel;
    try {
      file = await contents.get(context.path, { type: 'notebook', content: true });
    } catch {
      return false;
    }
    const content = file.content as nbformat.INotebookContent | null;
    if (!content || !onlyAgentChanges(model.toJSON() as nbformat.INotebookContent, content, changedCell)) {
      return false;
    }
  }
  const kept = dirty ? KERNEL_METADATA.map(key => [key, model.getMetadata(key)] as const) : [];
  await context.revert();
  for (const [key, value] of kept) {
    if (value !== undefined && !JSONExt.deepEqual(value, model.getMetadata(key))) {
      model.setMetadata(key, value);
    }
  }
  return true;
}
