import * as React from 'react';

import { nullTranslator } from '@jupyterlab/translation';

import { TRANSLATION_DOMAIN, UIServices, type IUIServices } from '../uiContext';

interface IErrorBoundaryState {
  error: Error | null;
}

/** Never a blank panel: a rendering bug shows what failed and a way to go on. */
export class ErrorBoundary extends React.Component<React.PropsWithChildren, IErrorBoundaryState> {
  static contextType = UIServices;
  declare context: IUIServices | null;
  state: IErrorBoundaryState = { error: null };

  static getDerivedStateFromError(error: Error): IErrorBoundaryState {
    return { error };
  }

  componentDidCatch(error: Error): void {
    console.error('jupyter-codeagent: the sidebar failed to render', error);
  }

  render(): React.ReactNode {
    if (this.state.error) {
      const trans = this.context?.trans ?? nullTranslator.load(TRANSLATION_DOMAIN);
      return (
        <div className="jp-CodeAgent-health jp-CodeAgent-health-error" role="alert">
          <p>{trans.__('The Code Agent panel hit a bug: %1', this.state.error.message)}</p>
          <button className="jp-Button jp-mod-styled" onClick={() => this.setState({ error: null })}>
            {trans.__('Try again')}
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}
