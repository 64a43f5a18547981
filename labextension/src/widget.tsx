import { ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { Sidebar } from './components/Sidebar';
import { codeAgentIcon } from './icon';

/** The Lumino widget that hosts the React sidebar in JupyterLab's right area. */
export class CodeAgentSidebar extends ReactWidget {
  constructor() {
    super();
    this.id = 'jp-codeagent-sidebar';
    this.addClass('jp-CodeAgent');
    this.title.icon = codeAgentIcon;
    this.title.caption = 'Code Agent';
  }

  protected render(): JSX.Element {
    return <Sidebar />;
  }
}
