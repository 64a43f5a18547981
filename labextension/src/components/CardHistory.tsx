import * as React from 'react';

import type { IReviewRound } from '../state/viewState';
import { useTrans } from '../uiContext';
import { CodeBlock } from './CodeBlock';
import { DiffView } from './DiffView';
import { Markdown } from './Markdown';

export interface ICardHistoryProps {
  rounds: readonly IReviewRound[];
  /** The code of this proposal, to show what each round changed. */
  current: string;
}

/** Earlier review rounds of a proposal: the version the reviewer sent back and why. */
export function CardHistory(props: ICardHistoryProps): JSX.Element | null {
  const trans = useTrans();
  if (props.rounds.length === 0) {
    return null;
  }
  return (
    <details className="jp-CodeAgent-history">
      <summary>{trans._n('%1 earlier review round', '%1 earlier review rounds', props.rounds.length)}</summary>
      <ol className="jp-CodeAgent-history-rounds">
        {props.rounds.map((round, index) => (
          <li key={index} className="jp-CodeAgent-history-round">
            <div className="jp-CodeAgent-history-comments">
              <span className="jp-CodeAgent-agent jp-mod-reviewer">{trans.__('reviewer: revise')}</span>
              <Markdown text={round.comments} />
            </div>
            {round.code !== null &&
              (round.code !== props.current ? (
                <DiffView before={round.code} after={props.current} against={trans.__('the version sent back')} />
              ) : (
                <CodeBlock code={round.code} />
              ))}
          </li>
        ))}
      </ol>
    </details>
  );
}
