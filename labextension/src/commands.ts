import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { AgentController } from './controller';
import { codeAgentIcon } from './icon';
import { attachmentOf, cellError } from './notebook/cellContext';
import { normalizePath } from './notebook/agentCells';
import type { CodeAgentSidebar } from './widget';

/** Command ids, stable for keyboard shortcuts and other extensions. */
export const CommandIDs = {
  open: 'codeagent:open',
  approve: 'codeagent:approve-cell',
  reject: 'codeagent:reject-cell',
  explain: 'codeagent:explain-cell',
  fix: 'codeagent:fix-error',
  ask: 'codeagent:ask-about-cell'
} as const;

export function addCommands(
  app: JupyterFrontEnd,
  controller: AgentController,
  tracker: INotebookTracker,
  sidebar: CodeAgentSidebar,
  palette: ICommandPalette | null,
  trans: TranslationBundle
): void {
  const { commands } = app;
  const openSidebar = () => app.shell.activateById(sidebar.id);
  const category = trans.__('Code Agent');

  commands.addCommand(CommandIDs.open, {
    label: trans.__('Code Agent: Open'),
    caption: trans.__('Open the Code Agent sidebar, with the cursor in the message box'),
    icon: codeAgentIcon,
    execute: () => {
      openSidebar();
      sidebar.focusComposer();
    }
  });

  const oldestPending = () => {
    const cellId = controller.firstPendingCell();
    return cellId ? (controller.getState().view.cells[cellId] ?? null) : null;
  };

  commands.addCommand(CommandIDs.approve, {
    label: trans.__('Code Agent: Approve & Run the Proposed Cell'),
    caption: trans.__('Run the oldest cell waiting for your approval (a high-risk cell is shown first)'),
    isEnabled: () => controller.firstPendingCell() !== null,
    execute: () => {
      const cell = oldestPending();
      if (!cell) {
        return;
      }
      if (cell.review.risk === 'high') {
        // High-risk code gets a second look: its card, where `a` arms and confirms.
        openSidebar();
        requestAnimationFrame(() => sidebar.focusWaitingCard());
        return;
      }
      return controller.approve(cell.cellId);
    }
  });

  commands.addCommand(CommandIDs.reject, {
    label: trans.__('Code Agent: Reject the Proposed Cell'),
    caption: trans.__('Reject the oldest cell waiting for your approval'),
    isEnabled: () => controller.firstPendingCell() !== null,
    execute: () => {
      const cellId = controller.firstPendingCell();
      if (cellId) {
        return controller.reject(cellId);
      }
    }
  });

  /** Attach the active cell; send the request at once unless it is left to the user. */
  const withCell = (prompt: (cellId: string) => string, sendNow: boolean) => {
    const panel = tracker.currentWidget;
    const cell = tracker.activeCell;
    if (!panel || !cell) {
      return;
    }
    const index = panel.content.widgets.indexOf(cell);
    const attachment = attachmentOf(cell, index, normalizePath(panel.context.localPath));
    openSidebar();
    if (sendNow) {
      return controller.sendWithCell(attachment, prompt(cell.model.id));
    }
    controller.attachCell(attachment, prompt(cell.model.id));
  };
  const hasCell = () => tracker.activeCell !== null;

  commands.addCommand(CommandIDs.explain, {
    label: trans.__('Explain This Cell'),
    caption: trans.__('Ask the Code Agent to explain the active cell'),
    icon: codeAgentIcon,
    isEnabled: hasCell,
    execute: () => withCell(() => trans.__('Explain what this cell does.'), true)
  });

  commands.addCommand(CommandIDs.fix, {
    label: trans.__('Fix This Error'),
    caption: trans.__('Ask the Code Agent to fix the error of the active cell, in the cell itself'),
    icon: codeAgentIcon,
    isEnabled: () => tracker.activeCell !== null && cellError(tracker.activeCell) !== null,
    // The cell's id lets the coder propose a change of this cell (`replaces`), not a new one.
    execute: () =>
      withCell(id => trans.__('Fix this error by changing the cell itself (cell id: %1).', id), true)
  });

  commands.addCommand(CommandIDs.ask, {
    label: trans.__('Ask the Agent About This Cell'),
    caption: trans.__('Attach the active cell to a message to the Code Agent'),
    icon: codeAgentIcon,
    isEnabled: hasCell,
    execute: () => withCell(() => '', false)
  });

  if (palette) {
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category });
    }
  }
}
