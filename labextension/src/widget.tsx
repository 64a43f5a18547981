import { ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { ErrorBoundary } from './components/ErrorBoundary';
import { Sidebar } from './components/Sidebar';
import { codeAgentIcon } from './icon';
import { IUIServices, UIServices } from './uiContext';

/** The Lumino widget that hosts the React sidebar in JupyterLab's right area. */
export class CodeAgentSidebar extends ReactWidget {
  constructor(private readonly _services: IUIServices) {
    super();
    this.id = 'jp-codeagent-sidebar';
    this.addClass('jp-CodeAgent');
    this.title.icon = codeAgentIcon;
    this.title.caption = _services.trans?.__('Code Agent') ?? 'Code Agent';
  }

  /** Put the cursor in the message box (once the panel is shown). */
  focusComposer(): void {
    requestAnimationFrame(() => this._services.controller.focusRequested.emit());
  }

  /** Focus the oldest card waiting for a decision; false if none. */
  focusWaitingCard(): boolean {
    const card = this.node.querySelector<HTMLElement>('.jp-CodeAgent-card.jp-mod-pending');
    if (!card) {
      return false;
    }
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: 'nearest' });
    return true;
  }

  protected render(): JSX.Element {
    return (
      <UIServices.Provider value={this._services}>
        <ErrorBoundary>
          <Sidebar />
        </ErrorBoundary>
      </UIServices.Provider>
    );
  }
}
