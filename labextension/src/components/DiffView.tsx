import * as React from 'react';

import { diffLines, diffStats } from '../state/diff';
import { useTrans } from '../uiContext';

export interface IDiffViewProps {
  before: string;
  after: string;
  /** What `before` is, in words: "the previous proposal", "the cell", "the proposal". */
  against?: string;
}

/** A unified line diff of `after` against `before`. */
export const DiffView = React.memo(function DiffView(props: IDiffViewProps): JSX.Element {
  const trans = useTrans();
  const lines = React.useMemo(() => diffLines(props.before, props.after), [props.before, props.after]);
  const stats = diffStats(lines);
  const against = props.against ?? trans.__('the previous proposal');
  return (
    <div className="jp-CodeAgent-diff" aria-label={trans.__('Changes against %1', against)}>
      <div className="jp-CodeAgent-diff-stats">
        <span className="jp-CodeAgent-diff-added">+{stats.added}</span>{' '}
        <span className="jp-CodeAgent-diff-deleted">−{stats.deleted}</span>{' '}
        {trans.__('lines against %1', against)}
      </div>
      <pre className="jp-CodeAgent-code">
        {lines.map((line, index) => (
          <div key={index} className={`jp-CodeAgent-diff-line jp-mod-${line.kind}`}>
            <span className="jp-CodeAgent-diff-mark" aria-hidden="true">
              {line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ' '}
            </span>
            {line.kind !== 'same' && (
              <span className="jp-CodeAgent-sr-only">
                {line.kind === 'add' ? trans.__('added: ') : trans.__('removed: ')}
              </span>
            )}
            {line.text || ' '}
          </div>
        ))}
      </pre>
    </div>
  );
});
