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
    this.title.caption = 'Code Agent';
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
