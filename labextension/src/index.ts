import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookCellExecutor, INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CodeAgentClient } from './client';
import { CommandIDs, addCommands } from './commands';
import { AgentController } from './controller';
import { AgentCellGate } from './notebook/cellGate';
import { CellStatusMarker } from './notebook/cellStatusMarker';
import { DeletionWatcher } from './notebook/deletionWatcher';
import { UserSettings } from './settings';
import { CodeAgentSidebar } from './widget';

const PLUGIN_ID = 'jupyter-codeagent:plugin';

/**
 * One gate for both plugins: the executor exists before the notebooks (JupyterLab's
 * notebook tracker needs it), the sidebar's actions are connected to it afterwards.
 */
const gate = new AgentCellGate();

/**
 * The notebook cell executor with the approval gate (see `notebook/cellGate.ts`). It
 * replaces JupyterLab's `@jupyterlab/notebook-extension:cell-executor` (and
 * jupyter-collaboration's), which `package.json` disables, and wraps its `runCell`.
 */
const cellExecutor: JupyterFrontEndPlugin<INotebookCellExecutor> = {
  id: 'jupyter-codeagent:cell-executor',
  description: 'Runs notebook cells, except agent cells that wait for approval or were refused.',
  autoStart: true,
  provides: INotebookCellExecutor,
  activate: (): INotebookCellExecutor => gate
};

export { CommandIDs };

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Planner, coder and reviewer agents in a sidebar next to your notebook.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [IEditorLanguageRegistry, ICommandPalette, ILayoutRestorer, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    languages: IEditorLanguageRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const client = new CodeAgentClient();
    const userSettings = new UserSettings();
    const controller = new AgentController(app, tracker, client, userSettings);
    const sidebar = new CodeAgentSidebar({ controller, rendermime, languages });
    app.shell.add(sidebar, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
    new CellStatusMarker(tracker);
    addCommands(app, controller, tracker, sidebar.id, palette);
    gate.setActions({
      approve: (sessionId, cellId) => controller.approveCell(sessionId, cellId),
      showPanel: () => app.shell.activateById(sidebar.id),
      userRan: async (sessionId, cellId, source, ok) => {
        await client.userRun(sessionId, cellId, source, ok ? 'ok' : 'error');
      }
    });
    new DeletionWatcher(tracker, async (sessionId, cellId) => {
      await client.cellDeleted(sessionId, cellId);
    });

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => userSettings.follow(settings))
        .catch(reason => console.error('jupyter-codeagent: cannot load the settings', reason));
    }
  }
};

export default [cellExecutor, plugin];
