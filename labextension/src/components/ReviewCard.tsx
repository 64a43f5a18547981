import * as React from 'react';

import type { ICellView } from '../state/viewState';
import { useServices } from '../uiContext';
import { CodeBlock } from './CodeBlock';
import { DiffView } from './DiffView';
import { FindingsList } from './FindingsList';
import { Markdown } from './Markdown';
import { OutputSummary } from './OutputSummary';
import { RiskBadge } from './RiskBadge';
import { UndoButton } from './UndoButton';

export interface IReviewCardProps {
  cell: ICellView;
}

const STATUS_LABELS: Record<string, string> = {
  proposed: 'Proposed',
  running: 'Running…',
  done: 'Ran',
  error: 'Failed',
  rejected: 'Rejected',
  blocked: 'Blocked',
  stopped: 'Stopped',
  undone: 'Undone'
};

const VERDICT_LABELS: Record<string, string> = {
  approve: 'Reviewer: approve',
  revise: 'Reviewer: revise',
  block: 'Reviewer: block',
  none: 'Not reviewed'
};

/** A proposed cell: code, explanation, review, and the user's decision. */
export const ReviewCard = React.memo(function ReviewCard(props: IReviewCardProps): JSX.Element {
  const { controller } = useServices();
  const { cell } = props;
  const [rejecting, setRejecting] = React.useState(false);
  const [reason, setReason] = React.useState('');
  // A re-proposal for the same task opens on what changed.
  const changed = cell.previousSource !== null && cell.previousSource !== cell.source;
  const [showDiff, setShowDiff] = React.useState(changed);
  const canDecide = cell.awaitingDecision && cell.decisionSent === null;

  const approve = () => void controller.approve(cell.cellId);
  const edit = () => void controller.editCell(cell.cellId);
  const reject = () => {
    void controller.reject(cell.cellId, reason);
    setRejecting(false);
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    // Single-key shortcuts when the card itself (not a text box) has the focus.
    if (!canDecide || event.target !== event.currentTarget || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.key === 'a' || event.key === 'Enter') {
      event.preventDefault();
      approve();
    } else if (event.key === 'r') {
      event.preventDefault();
      setRejecting(true);
    } else if (event.key === 'e') {
      event.preventDefault();
      edit();
    }
  };

  const blocked = cell.status === 'blocked';
  const statusLabel =
    cell.status === 'proposed' && !cell.needsApproval
      ? 'Approved by the policy'
      : cell.status === 'proposed' && !cell.awaitingDecision && cell.decisionSent === null
        ? 'Not run (the run ended)'
        : (STATUS_LABELS[cell.status] ?? cell.status);

  return (
    <div
      className={`jp-CodeAgent-card jp-mod-${cell.status} ${canDecide ? 'jp-mod-pending' : ''}`}
      data-cell-id={cell.cellId}
      data-status={cell.status}
      tabIndex={canDecide ? 0 : -1}
      onKeyDown={onKeyDown}
      aria-label={`Proposed cell ${cell.cellId}: ${statusLabel}`}
    >
      <div className="jp-CodeAgent-card-header">
        <span className={`jp-CodeAgent-card-status jp-mod-${cell.status}`}>{statusLabel}</span>
        {cell.executionCount !== null && (
          <span className="jp-CodeAgent-card-count">[{cell.executionCount}]</span>
        )}
        {cell.taskId && <span className="jp-CodeAgent-badge">task {cell.taskId}</span>}
        <span className="jp-CodeAgent-spacer" />
        <span className={`jp-CodeAgent-badge jp-CodeAgent-verdict jp-mod-${cell.review.verdict}`}>
          {VERDICT_LABELS[cell.review.verdict] ?? cell.review.verdict}
        </span>
        <RiskBadge risk={cell.review.risk} />
      </div>
      {cell.explanation && <Markdown className="jp-CodeAgent-card-explanation" text={cell.explanation} />}
      {changed && (
        <button
          className="jp-CodeAgent-link jp-CodeAgent-diff-toggle"
          onClick={() => setShowDiff(!showDiff)}
          aria-expanded={showDiff}
        >
          {showDiff ? 'Show the code' : 'Show changes from the previous proposal'}
        </button>
      )}
      {cell.editedSource !== null ? (
        <div className="jp-CodeAgent-card-edited">
          <span className="jp-CodeAgent-badge jp-mod-edited">edited by you</span>
          <DiffView before={cell.source} after={cell.editedSource} />
        </div>
      ) : showDiff && changed && cell.previousSource !== null ? (
        <DiffView before={cell.previousSource} after={cell.source} />
      ) : (
        <CodeBlock code={cell.source} />
      )}
      {cell.review.comments && (
        <div className="jp-CodeAgent-card-comments">
          <span className="jp-CodeAgent-agent jp-mod-reviewer">reviewer</span> {cell.review.comments}
        </div>
      )}
      <FindingsList findings={cell.review.findings ?? []} />
      {blocked && (
        <div className="jp-CodeAgent-card-reason jp-mod-blocked" role="note">
          {cell.reason ?? 'Blocked by the safety policy. This cell will not run.'}
        </div>
      )}
      {cell.status === 'rejected' && (
        <div className="jp-CodeAgent-card-reason">
          You rejected it{cell.reason ? `: ${cell.reason}` : '.'}
        </div>
      )}
      {(cell.status === 'done' || cell.status === 'error') && <OutputSummary outputs={cell.outputs} />}
      <UndoButton cell={cell} />
      {canDecide && !rejecting && (
        <div className="jp-CodeAgent-card-actions">
          <button
            className="jp-Button jp-mod-styled jp-mod-accept jp-CodeAgent-approve"
            onClick={approve}
            title="Run this cell in the notebook's kernel (Alt+Shift+Enter)"
          >
            Approve &amp; run
          </button>
          <button
            className="jp-Button jp-mod-styled jp-CodeAgent-edit"
            onClick={edit}
            title="Edit the cell in the notebook; Approve then runs your version"
          >
            Edit
          </button>
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-CodeAgent-reject"
            onClick={() => setRejecting(true)}
            title="Do not run this cell (Alt+Shift+Backspace rejects without a reason)"
          >
            Reject
          </button>
        </div>
      )}
      {canDecide && rejecting && (
        <form
          className="jp-CodeAgent-card-reject"
          onSubmit={event => {
            event.preventDefault();
            reject();
          }}
        >
          <input
            className="jp-mod-styled jp-CodeAgent-reject-reason"
            placeholder="Why? (optional, the coder reads it)"
            value={reason}
            autoFocus
            onChange={event => setReason(event.target.value)}
            onKeyDown={event => {
              if (event.key === 'Escape') {
                setRejecting(false);
              }
            }}
          />
          <button type="submit" className="jp-Button jp-mod-styled jp-mod-reject jp-CodeAgent-reject-confirm">
            Reject
          </button>
          <button type="button" className="jp-Button jp-mod-styled" onClick={() => setRejecting(false)}>
            Cancel
          </button>
        </form>
      )}
      {cell.decisionSent !== null && (
        <div className="jp-CodeAgent-card-sending">
          {cell.decisionSent === 'approve' ? 'Starting…' : 'Rejecting…'}
        </div>
      )}
    </div>
  );
});
