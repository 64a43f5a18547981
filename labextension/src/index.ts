import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { codeAgentIcon } from './icon';
import { CodeAgentSidebar } from './widget';

const PLUGIN_ID = 'jupyter-codeagent:plugin';

/** Command ids, stable for keyboard shortcuts and other extensions. */
export const CommandIDs = {
  open: 'codeagent:open'
} as const;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Planner, coder and reviewer agents in a sidebar next to your notebook.',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const sidebar = new CodeAgentSidebar();
    app.shell.add(sidebar, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }

    app.commands.addCommand(CommandIDs.open, {
      label: 'Code Agent: Open',
      caption: 'Open the Code Agent sidebar',
      icon: codeAgentIcon,
      execute: () => {
        app.shell.activateById(sidebar.id);
      }
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.open, category: 'Code Agent' });
    }
  }
};

export default plugin;
