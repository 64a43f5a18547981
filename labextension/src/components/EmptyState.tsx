import * as React from 'react';

import { useServices, useTrans } from '../uiContext';

export interface IEmptyStateProps {
  loading: boolean;
  /** The notebook the chat works in, if any. */
  notebookPath: string | null;
}

/** An empty session: what the agents do, and example requests to start from. */
export function EmptyState(props: IEmptyStateProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  if (props.loading) {
    return (
      <div className="jp-CodeAgent-empty">
        <p>{trans.__('Loading the session…')}</p>
      </div>
    );
  }
  if (props.notebookPath === null) {
    return (
      <div className="jp-CodeAgent-empty">
        <p>{trans.__('Open a notebook: the agents work in the notebook that is active.')}</p>
      </div>
    );
  }
  const examples = [
    trans.__('Load the CSV files in this folder and describe their columns.'),
    trans.__('Which columns have missing values, and how many?'),
    trans.__('Plot the distribution of the main numeric column.'),
    trans.__('Explain what the data objects in my notebook contain.')
  ];
  return (
    <div className="jp-CodeAgent-empty">
      <p>
        {trans.__(
          'Ask for an analysis of %1. The planner splits it into tasks, the coder proposes cells, the reviewer checks them, and nothing runs before you approve it.',
          props.notebookPath
        )}
      </p>
      <div className="jp-CodeAgent-examples" role="group" aria-label={trans.__('Example requests')}>
        {examples.map(example => (
          <button
            key={example}
            className="jp-CodeAgent-example"
            onClick={() => {
              controller.setComposer(example);
              controller.focusRequested.emit();
            }}
          >
            {example}
          </button>
        ))}
      </div>
      <p className="jp-CodeAgent-hint">
        {trans.__('Mention a data object with @name; right-click a cell for “Explain This Cell” or “Fix This Error”.')}
      </p>
    </div>
  );
}
