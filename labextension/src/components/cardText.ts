/** The words of a review card: its status, its accessible name, and the block line. */

import type { TranslationBundle } from '@jupyterlab/translation';

import type { ICellView } from '../state/viewState';

export function statusLabel(cell: ICellView, trans: TranslationBundle): string {
  if (cell.status === 'proposed') {
    if (!cell.needsApproval) {
      return trans.__('Approved by the policy');
    }
    if (cell.decisionSent !== null) {
      return cell.decisionSent === 'approve' ? trans.__('Starting…') : trans.__('Rejecting…');
    }
    return cell.awaitingDecision ? trans.__('Waiting for you') : trans.__('Not run (the run ended)');
  }
  const labels: Record<string, string> = {
    running: trans.__('Running…'),
    done: trans.__('Ran'),
    error: trans.__('Failed'),
    rejected: trans.__('Rejected'),
    blocked: trans.__('Blocked'),
    stopped: trans.__('Stopped'),
    undone: trans.__('Undone')
  };
  return labels[cell.status] ?? cell.status;
}

function riskWords(risk: string, trans: TranslationBundle): string {
  return risk === 'high' ? trans.__('high risk') : risk === 'low' ? trans.__('low risk') : trans.__('medium risk');
}

/** "Proposed cell for “Load the data”, high risk: waiting for you" (no internal ids). */
export function cardLabel(cell: ICellView, taskTitle: string | null, trans: TranslationBundle): string {
  const what = cell.replaces
    ? taskTitle
      ? trans.__('Change to a cell for “%1”', taskTitle)
      : trans.__('Change to a cell')
    : taskTitle
      ? trans.__('Proposed cell for “%1”', taskTitle)
      : trans.__('Proposed cell');
  return trans.__('%1, %2: %3', what, riskWords(cell.review.risk, trans), statusLabel(cell, trans));
}

/** One line saying who blocked the cell (the static analysis or the reviewer) and why. */
export function blockLine(cell: ICellView, trans: TranslationBundle): string {
  const blockedBy = cell.review.blocked_by ?? null;
  if (blockedBy === 'analyzer') {
    const blockers = (cell.review.findings ?? []).filter(finding => finding.severity === 'block');
    const why = blockers
      .map(finding =>
        finding.line !== null && finding.line !== undefined
          ? trans.__('%1 (line %2)', finding.message, finding.line)
          : finding.message
      )
      .join('; ');
    return why
      ? trans.__('Blocked by the static analysis: %1. It will not run.', why.replace(/\.$/, ''))
      : trans.__('Blocked by the static analysis. It will not run.');
  }
  if (blockedBy === 'reviewer') {
    const comments = (cell.review.comments ?? '').trim();
    return comments
      ? trans.__('Blocked by the reviewer: %1 It will not run.', /[.!?]$/.test(comments) ? comments : `${comments}.`)
      : trans.__('Blocked by the reviewer. It will not run.');
  }
  return cell.reason ?? trans.__('Blocked by the safety policy. It will not run.');
}
