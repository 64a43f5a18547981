import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookCellExecutor, INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, RenderMimeRegistry, markdownRendererFactory } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { SidebarAttention } from './attention';
import { CodeAgentClient } from './client';
import { CommandIDs, addCommands } from './commands';
import { AgentController } from './controller';
import { AgentCellGate } from './notebook/cellGate';
import { CellStatusMarker } from './notebook/cellStatusMarker';
import { InlineReview } from './notebook/inlineReview';
import { DeletionWatcher } from './notebook/deletionWatcher';
import { UserSettings } from './settings';
import { IUIServices, TRANSLATION_DOMAIN } from './uiContext';
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
