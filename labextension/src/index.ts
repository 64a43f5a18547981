import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

import { CodeAgentClient } from './client';
import { CommandIDs, addCommands } from './commands';
import { AgentController } from './controller';
import { CellStatusMarker } from './notebook/cellStatusMarker';
import { UserSettings } from './settings';
import { CodeAgentSidebar } from './widget';

const PLUGIN_ID = 'jupyter-codeagent:plugin';

export { CommandIDs };

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Planner, coder and reviewer agents in a sidebar next to your notebook.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [IEditorLanguageRegistry, ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    languages: IEditorLanguageRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const client = new CodeAgentClient();
    const userSettings = new UserSettings();
    const controller = new AgentController(app, tracker, client, userSettings);
    const sidebar = new CodeAgentSidebar({ controller, rendermime, languages, translator });
    app.shell.add(sidebar, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
    new CellStatusMarker(tracker);
    addCommands(app, controller, tracker, sidebar.id, palette);

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => userSettings.follow(settings))
        .catch(reason => console.error('jupyter-codeagent: cannot load the settings', reason));
    }
  }
};

export default plugin;
