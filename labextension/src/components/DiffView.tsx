import * as React from 'react';

import { diffLines, diffStats } from '../state/diff';

export interface IDiffViewProps {
  before: string;
  after: string;
}

/** A unified line diff between the previous proposal and this one. */
export const DiffView = React.memo(function DiffView(props: IDiffViewProps): JSX.Element {
  const lines = React.useMemo(() => diffLines(props.before, props.after), [props.before, props.after]);
  const stats = diffStats(lines);
  return (
    <div className="jp-CodeAgent-diff" aria-label="Changes from the previous proposal">
      <div className="jp-CodeAgent-diff-stats">
        <span className="jp-CodeAgent-diff-added">+{stats.added}</span>{' '}
        <span className="jp-CodeAgent-diff-deleted">−{stats.deleted}</span> lines against the previous
        proposal
      </div>
      <pre className="jp-CodeAgent-code">
        {lines.map((line, index) => (
          <div key={index} className={`jp-CodeAgent-diff-line jp-mod-${line.kind}`}>
            <span className="jp-CodeAgent-diff-mark" aria-hidden="true">
              {line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ' '}
            </span>
            {line.text || ' '}
          </div>
        ))}
      </pre>
    </div>
  );
});
