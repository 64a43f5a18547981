import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, RenderMimeRegistry, markdownRendererFactory } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { SidebarAttention } from './attention';
import { CodeAgentClient } from './client';
import { CommandIDs, addCommands } from './commands';
import { AgentController } from './controller';
import { CellStatusMarker } from './notebook/cellStatusMarker';
import { InlineReview } from './notebook/inlineReview';
import { UserSettings } from './settings';
import { IUIServices, TRANSLATION_DOMAIN } from './uiContext';
import { CodeAgentSidebar } from './widget';

const PLUGIN_ID = 'jupyter-codeagent:plugin';

export { CommandIDs };

/**
 * The chat's Markdown renderer: JupyterLab's sanitizer, parser and links, but no LaTeX
 * typesetter, so that `$120k … $48k` in a reply stays money instead of becoming math.
 */
function chatRendermime(rendermime: IRenderMimeRegistry, translator: ITranslator): IRenderMimeRegistry {
  return new RenderMimeRegistry({
    initialFactories: [markdownRendererFactory],
    sanitizer: rendermime.sanitizer,
    resolver: rendermime.resolver ?? undefined,
    linkHandler: rendermime.linkHandler ?? undefined,
    markdownParser: rendermime.markdownParser ?? undefined,
    translator
  });
}

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
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const client = new CodeAgentClient();
    const userSettings = new UserSettings();
    const controller = new AgentController(app, tracker, client, userSettings);
    const services: IUIServices = {
      controller,
      rendermime: chatRendermime(rendermime, translator ?? nullTranslator),
      languages,
      trans,
      openSettings: () => void app.commands.execute('settingeditor:open', { query: 'Code Agent' })
    };
    const sidebar = new CodeAgentSidebar(services);
    app.shell.add(sidebar, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
    new CellStatusMarker(tracker);
    new InlineReview(tracker, services);
    new SidebarAttention(sidebar, controller, trans, () => app.shell.activateById(sidebar.id));
    addCommands(app, controller, tracker, sidebar, palette, trans);

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => userSettings.follow(settings))
        .catch(reason => console.error('jupyter-codeagent: cannot load the settings', reason));
    }
  }
};

export default plugin;
