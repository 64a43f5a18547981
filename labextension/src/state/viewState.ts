/** The sidebar's view of one session, as the reducer builds it from events and a snapshot. */

import type {
  CellStatus,
  IOutput,
  IReview,
  ISessionSnapshot,
  ITask,
  IUsage,
  IVariable,
  SessionEvent,
  SessionStatus
} from '../types';

export interface IMessageItem {
  kind: 'message';
  key: string;
  role: 'user' | 'assistant';
  agent: string | null;
  text: string;
  /** Text still arriving as deltas (shown as plain text until the final message). */
  streaming: boolean;
  /** The run ended before this reply was complete. */
  interrupted: boolean;
}

export interface ICellItem {
  kind: 'cell';
  key: string;
  cellId: string;
}

export interface IQuestionItem {
  kind: 'question';
  key: string;
  questionId: string;
}

export interface INoticeItem {
  kind: 'notice';
  key: string;
  level: 'info' | 'error';
  text: string;
  code: string | null;
}

export type TimelineItem = IMessageItem | ICellItem | IQuestionItem | INoticeItem;

export interface ICellView {
  cellId: string;
  taskId: string | null;
  /** The code as proposed by the coder. */
  source: string;
  /** The code that ran, when the user edited the proposal before approving it. */
  editedSource: string | null;
  explanation: string;
  review: IReview;
  status: CellStatus;
  needsApproval: boolean;
  /** The run waits for the user's approve / reject of this cell. */
  awaitingDecision: boolean;
  /** A decision was sent and its event has not arrived yet. */
  decisionSent: 'approve' | 'reject' | null;
  /** The previous proposal for the same task (for the diff view). */
  previousCellId: string | null;
  previousSource: string | null;
  outputs: IOutput[];
  executionCount: number | null;
  /** Why it was rejected or blocked. */
  reason: string | null;
  /** Why it waits for the user (e.g. an unattended policy without a sandbox). */
  approvalReason: string | null;
  /** A change of this existing notebook cell (nbformat id or agent cell id), not a new cell. */
  replaces?: string | null;
  /** Earlier review rounds: the code the reviewer sent back, with its comments. */
  rounds?: readonly IReviewRound[];
  /** Whether undo can restore the kernel as before this cell (said before it runs). */
  undoable?: boolean | null;
  /** What undo could not restore, when it cannot. */
  undoNote?: string | null;
}

/** A reviewer's "revise": the code it was about (if known) and what to change. */
export interface IReviewRound {
  code: string | null;
  comments: string;
}

export interface IQuestionView {
  questionId: string;
  text: string;
  open: boolean;
  answer: string | null;
}

export interface IViewState {
  sessionId: string | null;
  /** Highest event seq applied; events at or below it are duplicates. */
  lastSeq: number;
  /** `last_seq` of the loaded snapshot: older events only rebuild the timeline. */
  snapshotSeq: number;
  status: SessionStatus;
  turn: number;
  timeline: readonly TimelineItem[];
  /** agent → key of its open (streaming) draft in the timeline. */
  drafts: Readonly<Record<string, string>>;
  cells: Readonly<Record<string, ICellView>>;
  /** Cell ids in the order they were proposed. */
  cellOrder: readonly string[];
  plan: readonly ITask[];
  questions: Readonly<Record<string, IQuestionView>>;
  variables: readonly IVariable[];
  usage: IUsage;
  /** The budget that stopped the last run (`budget_session_usd`...) and the server's
   * words on it (amounts, how to raise it); null when no budget stopped it. */
  budgetStop: { budget: string | null; message: string } | null;
  /** Pending decisions the snapshot reported (for events older than it). */
  snapshotPending: { cells: readonly string[]; questions: readonly string[] };
  /** Reviewer "revise" rounds waiting for the re-proposal they belong to. */
  pendingRounds?: readonly IReviewRound[];
}

export type Action =
  | { type: 'reset'; sessionId: string | null }
  | { type: 'snapshot'; snapshot: ISessionSnapshot }
  | { type: 'events'; events: readonly SessionEvent[] }
  | { type: 'decision_sent'; cellId: string; decision: 'approve' | 'reject' }
  | { type: 'decision_failed'; cellId: string }
  | { type: 'question_answered'; questionId: string; text: string }
  /** The code a proposed change replaces, read from the open notebook. */
  | { type: 'replaced_source'; cellId: string; source: string };

export function initialState(sessionId: string | null = null): IViewState {
  return {
    sessionId,
    lastSeq: 0,
    snapshotSeq: 0,
    status: 'idle',
    turn: 0,
    timeline: [],
    drafts: {},
    cells: {},
    cellOrder: [],
    plan: [],
    questions: {},
    variables: [],
    usage: { input_tokens: 0, output_tokens: 0, cost_usd: null },
    budgetStop: null,
    snapshotPending: { cells: [], questions: [] }
  };
}

/** A run is in flight (the Stop button applies). */
export function isActive(status: SessionStatus): boolean {
  return status === 'running' || status === 'waiting';
}

/** Finished (done or skipped) and total tasks of the plan. */
export function planProgress(plan: readonly ITask[]): { finished: number; total: number } {
  let finished = 0;
  for (const task of plan) {
    if (task.status === 'done' || task.status === 'skipped') {
      finished++;
    }
  }
  return { finished, total: plan.length };
}

/** Cells waiting for the user's decision, oldest first. */
export function pendingCells(state: IViewState): ICellView[] {
  return state.cellOrder
    .map(id => state.cells[id])
    .filter(cell => cell !== undefined && cell.awaitingDecision && cell.decisionSent === null);
}

/** Open questions of the agents, oldest first. */
export function openQuestions(state: IViewState): IQuestionView[] {
  return Object.values(state.questions).filter(question => question.open);
}
