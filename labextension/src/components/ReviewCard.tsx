import * as React from 'react';

import type { ICellView } from '../state/viewState';
import { useServices, useTrans } from '../uiContext';
import { CardHistory } from './CardHistory';
import { CodeBlock } from './CodeBlock';
import { DiffView } from './DiffView';
import { FindingsList } from './FindingsList';
import { Markdown } from './Markdown';
import { OutputSummary } from './OutputSummary';
import { RiskBadge } from './RiskBadge';
import { blockLine, cardLabel, statusLabel } from './cardText';
import { UndoButton } from './UndoButton';

export interface IReviewCardProps {
  cell: ICellView;
  /** The title of the cell's plan task, if any (cards are named by it, never by ids). */
  taskTitle: string | null;
  /** Called after the user approved or rejected the cell from this card. */
  onDecided?: (cellId: string) => void;
}

/** A proposed cell: code, explanation, review, and the user's decision. */
export const ReviewCard = React.memo(function ReviewCard(props: IReviewCardProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const { cell, taskTitle, onDecided } = props;
  const [rejecting, setRejecting] = React.useState(false);
  const [reason, setReason] = React.useState('');
  // High-risk code needs a second look: the first Approve only arms the button.
  const [armed, setArmed] = React.useState(false);
  const replaces = cell.replaces ?? null;
  const changed = cell.previousSource !== null && cell.previousSource !== cell.source;
  // A re-proposal (or a change of an existing cell) opens on what changed.
  const [showDiff, setShowDiff] = React.useState(changed);
  const [showEdits, setShowEdits] = React.useState(false);
  const canDecide = cell.awaitingDecision && cell.decisionSent === null;
  const high = cell.review.risk === 'high';
  const cardRef = React.useRef<HTMLDivElement>(null);

  React.useEffect(() => {
    if (!canDecide) {
      setArmed(false);
      setRejecting(false);
    }
  }, [canDecide]);
  React.useEffect(() => setShowDiff(changed), [changed]);

  const approve = () => {
    if (high && !armed) {
      setArmed(true);
      return;
    }
    setArmed(false);
    void controller.approve(cell.cellId);
    onDecided?.(cell.cellId);
  };
  const edit = () => void controller.editCell(cell.cellId);
  const reject = () => {
    void controller.reject(cell.cellId, reason);
    setRejecting(false);
    onDecided?.(cell.cellId);
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
    } else if (event.key === 'Escape' && armed) {
      event.preventDefault();
      setArmed(false);
    }
  };

  const blocked = cell.status === 'blocked';
  const blockedBy = cell.review.blocked_by ?? null;
  const status = statusLabel(cell, trans);
  const verdicts: Record<string, string> = {
    approve: trans.__('Reviewer approves'),
    revise: trans.__('Reviewer asks for changes'),
    block: trans.__('Reviewer blocks'),
    none: trans.__('Not reviewed')
  };
  const findings = (cell.review.findings ?? []).filter(
    finding => !(blocked && blockedBy === 'analyzer' && finding.severity === 'block')
  );
  const showComments = Boolean(cell.review.comments) && !(blocked && blockedBy !== null);
  const ran = cell.editedSource ?? null;

  return (
    <div
      ref={cardRef}
      className={`jp-CodeAgent-card jp-mod-${cell.status} jp-mod-risk-${cell.review.risk} ${canDecide ? 'jp-mod-pending' : ''}`}
      data-cell-id={cell.cellId}
      data-status={cell.status}
      data-risk={cell.review.risk}
      tabIndex={canDecide ? 0 : -1}
      onKeyDown={onKeyDown}
      role="group"
      aria-label={cardLabel(cell, taskTitle, trans)}
      aria-keyshortcuts={canDecide ? 'a e r j k' : 'j k'}
    >
      <div className="jp-CodeAgent-card-header">
        <span className={`jp-CodeAgent-card-status jp-mod-${cell.status}`}>{status}</span>
        {cell.executionCount !== null && <span className="jp-CodeAgent-card-count">[{cell.executionCount}]</span>}
        <span className="jp-CodeAgent-spacer" />
        <RiskBadge risk={cell.review.risk} />
      </div>
      <div className="jp-CodeAgent-card-meta">
        {replaces !== null && <span className="jp-CodeAgent-badge jp-mod-change">{trans.__('changes a cell')}</span>}
        {taskTitle && (
          <span className="jp-CodeAgent-card-task" title={taskTitle}>
            {taskTitle}
          </span>
        )}
        {!blocked && (
          <span className={`jp-CodeAgent-badge jp-CodeAgent-verdict jp-mod-${cell.review.verdict}`}>
            {verdicts[cell.review.verdict] ?? cell.review.verdict}
          </span>
        )}
      </div>
      {blocked && (
        <div className="jp-CodeAgent-card-reason jp-mod-blocked" role="note" data-blocked-by={blockedBy ?? ''}>
          {blockLine(cell, trans)}
        </div>
      )}
      {cell.explanation && <Markdown className="jp-CodeAgent-card-explanation" text={cell.explanation} />}
      {changed && ran === null && (
        <button
          className="jp-CodeAgent-link jp-CodeAgent-diff-toggle"
          onClick={() => setShowDiff(!showDiff)}
          aria-expanded={showDiff}
        >
          {showDiff
            ? trans.__('Show the code')
            : replaces !== null
              ? trans.__('Show the changes to the cell')
              : trans.__('Show changes from the previous proposal')}
        </button>
      )}
      {ran !== null ? (
        <div className="jp-CodeAgent-card-edited">
          <div className="jp-CodeAgent-card-edited-header">
            <span className="jp-CodeAgent-badge jp-mod-edited">{trans.__('edited by you')}</span>
            <span className="jp-CodeAgent-card-edited-note">{trans.__('This code ran, not the proposal.')}</span>
            <button
              className="jp-CodeAgent-link jp-CodeAgent-edits-toggle"
              onClick={() => setShowEdits(!showEdits)}
              aria-expanded={showEdits}
            >
              {showEdits ? trans.__('Show the code that ran') : trans.__('Show your changes')}
            </button>
          </div>
          {showEdits ? (
            <DiffView before={cell.source} after={ran} against={trans.__('the proposal')} />
          ) : (
            <CodeBlock code={ran} />
          )}
        </div>
      ) : showDiff && changed && cell.previousSource !== null ? (
        <DiffView
          before={cell.previousSource}
          after={cell.source}
          against={replaces !== null ? trans.__('the cell') : trans.__('the previous proposal')}
        />
      ) : (
        <CodeBlock code={cell.source} />
      )}
      {showComments && (
        <div className="jp-CodeAgent-card-comments">
          <span className="jp-CodeAgent-agent jp-mod-reviewer">{trans.__('reviewer')}</span>
          <Markdown className="jp-CodeAgent-card-comments-text" text={cell.review.comments ?? ''} />
        </div>
      )}
      <FindingsList findings={findings} />
      <CardHistory rounds={cell.rounds ?? []} current={cell.source} />
      {cell.status === 'rejected' && (
        <div className="jp-CodeAgent-card-reason">
          {cell.reason ? trans.__('You rejected it: %1', cell.reason) : trans.__('You rejected it.')}
        </div>
      )}
      {canDecide && cell.approvalReason && (
        <div className="jp-CodeAgent-card-reason jp-mod-approval" role="note">
          {cell.approvalReason}
        </div>
      )}
      {(cell.status === 'done' || cell.status === 'error' || cell.status === 'running') && (
        <OutputSummary outputs={cell.outputs} />
      )}
      <UndoButton cell={cell} />
      {canDecide && !rejecting && (
        <div className="jp-CodeAgent-card-actions">
          <button
            className={`jp-Button jp-mod-styled jp-mod-accept jp-CodeAgent-approve ${armed ? 'jp-mod-armed' : ''}`}
            onClick={approve}
            title={trans.__("Run this cell in the notebook's kernel (a, or Alt+Shift+Enter)")}
          >
            {armed ? trans.__('Confirm: run high-risk code') : trans.__('Approve & run')}
          </button>
          <button
            className="jp-Button jp-mod-styled jp-CodeAgent-edit"
            onClick={edit}
            title={trans.__('Edit the cell in the notebook; Approve then runs your version (e)')}
          >
            {trans.__('Edit')}
          </button>
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-CodeAgent-reject"
            onClick={() => setRejecting(true)}
            title={trans.__('Do not run this cell (r)')}
          >
            {trans.__('Reject')}
          </button>
          {armed && (
            <span className="jp-CodeAgent-armed-note" role="status">
              {trans.__('High risk: read the code and the findings, then confirm.')}
            </span>
          )}
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
            placeholder={trans.__('Why? (optional, the coder reads it)')}
            aria-label={trans.__('Why you reject it (optional)')}
            value={reason}
            autoFocus
            onChange={event => setReason(event.target.value)}
            onKeyDown={event => {
              if (event.key === 'Escape') {
                setRejecting(false);
                cardRef.current?.focus();
              }
            }}
          />
          <button type="submit" className="jp-Button jp-mod-styled jp-mod-reject jp-CodeAgent-reject-confirm">
            {trans.__('Reject')}
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled"
            onClick={() => {
              setRejecting(false);
              cardRef.current?.focus();
            }}
          >
            {trans.__('Cancel')}
          </button>
        </form>
      )}
      {cell.decisionSent !== null && (
        <div className="jp-CodeAgent-card-sending">
          {cell.decisionSent === 'approve' ? trans.__('Starting…') : trans.__('Rejecting…')}
        </div>
      )}
    </div>
  );
});
