import * as React from 'react';

interface IErrorBoundaryState {
  error: Error | null;
}

/** Never a blank panel: a rendering bug shows what failed and a way to go on. */
export class ErrorBoundary extends React.Component<React.PropsWithChildren, IErrorBoundaryState> {
  state: IErrorBoundaryState = { error: null };

  static getDerivedStateFromError(error: Error): IErrorBoundaryState {
    return { error };
  }

  componentDidCatch(error: Error): void {
    console.error('jupyter-codeagent: the sidebar failed to render', error);
  }

  render(): React.ReactNode {
    if (this.state.error) {
      return (
        <div className="jp-CodeAgent-health jp-CodeAgent-health-error" role="alert">
          <p>The Code Agent panel hit a bug: {this.state.error.message}</p>
          <button className="jp-Button jp-mod-styled" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}
