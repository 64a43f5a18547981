import * as React from 'react';

import type { ICellView } from '../state/viewState';
import { useServices, useTrans } from '../uiContext';

export interface IWaitingBarProps {
  /** Cells waiting for a decision, oldest first. */
  waiting: readonly ICellView[];
  openQuestions: number;
  /** Show (and focus) the oldest waiting card. */
  onReview: () => void;
  /** Called after a decision taken here. */
  onDecided: (cellId: string) => void;
}

/** "Waiting for you: N cells", always in sight above the chat, with the actions. */
export function WaitingBar(props: IWaitingBarProps): JSX.Element | null {
  const { controller } = useServices();
  const trans = useTrans();
  const { waiting, openQuestions } = props;
  if (waiting.length === 0 && openQuestions === 0) {
    return null;
  }
  const oldest = waiting[0];
  const parts: string[] = [];
  if (waiting.length > 0) {
    parts.push(trans._n('Waiting for you: %1 cell', 'Waiting for you: %1 cells', waiting.length));
  }
  if (openQuestions > 0) {
    parts.push(
      waiting.length > 0
        ? trans._n('%1 question', '%1 questions', openQuestions)
        : trans._n('Waiting for you: %1 question', 'Waiting for you: %1 questions', openQuestions)
    );
  }
  return (
    <div className="jp-CodeAgent-waiting" role="region" aria-label={trans.__('Waiting for you')}>
      <span className="jp-CodeAgent-waiting-text" aria-live="polite">
        {parts.join(' · ')}
      </span>
      <span className="jp-CodeAgent-waiting-actions">
        <button className="jp-Button jp-mod-styled jp-CodeAgent-waiting-review" onClick={props.onReview}>
          {trans.__('Review')}
        </button>
        {oldest && oldest.review.risk !== 'high' && (
          <button
            className="jp-Button jp-mod-styled jp-mod-accept jp-CodeAgent-waiting-approve"
            title={trans.__('Approve and run the oldest waiting cell')}
            onClick={() => {
              void controller.approve(oldest.cellId);
              props.onDecided(oldest.cellId);
            }}
          >
            {trans.__('Approve & run')}
          </button>
        )}
        {oldest && (
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-CodeAgent-waiting-reject"
            title={trans.__('Reject the oldest waiting cell')}
            onClick={() => {
              void controller.reject(oldest.cellId);
              props.onDecided(oldest.cellId);
            }}
          >
            {trans.__('Reject')}
          </button>
        )}
      </span>
    </div>
  );
}
