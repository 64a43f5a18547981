import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';

import type { AgentController } from './controller';
import { codeAgentIcon } from './icon';
import { attachmentOf, cellError } from './notebook/cellContext';
import { normalizePath } from './notebook/agentCells';

/** Command ids, stable for keyboard shortcuts and other extensions. */
export const CommandIDs = {
  open: 'codeagent:open',
  approve: 'codeagent:approve-cell',
  reject: 'codeagent:reject-cell',
  explain: 'codeagent:explain-cell',
  fix: 'codeagent:fix-error',
  ask: 'codeagent:ask-about-cell'
} as const;

const CATEGORY = 'Code Agent';

export function addCommands(
  app: JupyterFrontEnd,
  controller: AgentController,
  tracker: INotebookTracker,
  sidebarId: string,
  palette: ICommandPalette | null
): void {
  const { commands } = app;
  const openSidebar = () => app.shell.activateById(sidebarId);

  commands.addCommand(CommandIDs.open, {
    label: 'Code Agent: Open',
    caption: 'Open the Code Agent sidebar',
    icon: codeAgentIcon,
    execute: openSidebar
  });

  commands.addCommand(CommandIDs.approve, {
    label: 'Code Agent: Approve & Run the Proposed Cell',
    caption: 'Run the oldest cell waiting for your approval',
    isEnabled: () => controller.firstPendingCell() !== null,
    execute: () => {
      const cellId = controller.firstPendingCell();
      if (cellId) {
        return controller.approve(cellId);
      }
    }
  });

  commands.addCommand(CommandIDs.reject, {
    label: 'Code Agent: Reject the Proposed Cell',
    caption: 'Reject the oldest cell waiting for your approval',
    isEnabled: () => controller.firstPendingCell() !== null,
    execute: () => {
      const cellId = controller.firstPendingCell();
      if (cellId) {
        return controller.reject(cellId);
      }
    }
  });

  /** Attach the active cell and prefill the request. */
  const withCell = (prompt: string) => {
    const panel = tracker.currentWidget;
    const cell = tracker.activeCell;
    if (!panel || !cell) {
      return;
    }
    const index = panel.content.widgets.indexOf(cell);
    controller.attachCell(
      attachmentOf(cell, index, normalizePath(panel.context.localPath)),
      prompt
    );
    openSidebar();
  };
  const hasCell = () => tracker.activeCell !== null;

  commands.addCommand(CommandIDs.explain, {
    label: 'Explain This Cell',
    caption: 'Ask the Code Agent to explain the active cell',
    icon: codeAgentIcon,
    isEnabled: hasCell,
    execute: () => withCell('Explain what this cell does.')
  });

  commands.addCommand(CommandIDs.fix, {
    label: 'Fix This Error',
    caption: 'Ask the Code Agent to fix the error of the active cell',
    icon: codeAgentIcon,
    isEnabled: () => tracker.activeCell !== null && cellError(tracker.activeCell) !== null,
    execute: () => withCell('Fix this error.')
  });

  commands.addCommand(CommandIDs.ask, {
    label: 'Ask the Agent About This Cell',
    caption: 'Attach the active cell to a message to the Code Agent',
    icon: codeAgentIcon,
    isEnabled: hasCell,
    execute: () => withCell('')
  });

  if (palette) {
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category: CATEGORY });
    }
  }
}
