/**
 * The server's public contract (DESIGN.md): REST bodies and WebSocket events.
 *
 * Pure types, no imports: the state reducer and its unit tests build on them
 * without loading JupyterLab.
 */

export type AgentRole = 'planner' | 'coder' | 'reviewer' | 'summarizer';
export type SessionStatus = 'idle' | 'running' | 'waiting' | 'done' | 'stopped' | 'failed';
export type TaskStatus = 'pending' | 'in_progress' | 'done' | 'failed' | 'skipped';
export type RiskLevel = 'low' | 'medium' | 'high';
export type Verdict = 'approve' | 'revise' | 'block' | 'none';
export type FindingSeverity = 'info' | 'warning' | 'high' | 'block';
/** A cell's status on the server (and in `metadata.codeagent.status`). */
export type CellStatus =
  | 'proposed'
  | 'running'
  | 'done'
  | 'error'
  | 'rejected'
  | 'blocked'
  | 'stopped';

export interface IFinding {
  code: string;
  severity: FindingSeverity | string;
  message: string;
  line: number | null;
}

export interface IReview {
  verdict: Verdict | string;
  risk: RiskLevel | string;
  comments?: string;
  findings: IFinding[];
  blocking?: boolean;
}

export interface ITask {
  id: string;
  title: string;
  status: TaskStatus | string;
  note?: string | null;
  description?: string;
}

export interface IVariable {
  name: string;
  type: string;
  summary: string;
}

/** An nbformat v4 output, kept opaque except for what the UI reads. */
export interface IOutput {
  output_type: string;
  [key: string]: unknown;
}

export interface IUsage {
  input_tokens: number;
  output_tokens: number;
  cost_usd?: number | null;
  calls?: number;
}

export interface ISessionSummary {
  id: string;
  notebook_path: string;
  title: string | null;
  status: SessionStatus | string;
  created: number;
  updated: number;
}

export interface ISnapshotMessage {
  id: number;
  turn: number;
  role: 'user' | 'assistant' | string;
  agent: string | null;
  text: string;
  ts: number;
}

export interface ISnapshotCell {
  cell_id: string;
  task_id: string | null;
  source: string;
  explanation: string;
  review: IReview;
  status: CellStatus | string;
  outputs: IOutput[];
  execution_count: number | null;
  created: number;
  updated: number;
}

export interface ISessionSnapshot extends ISessionSummary {
  kernel_id: string | null;
  messages: ISnapshotMessage[];
  plan: { tasks: ITask[] };
  cells: ISnapshotCell[];
  variables: IVariable[];
  usage: IUsage;
  pending: { cells: string[]; questions: { question_id: string; text: string }[] };
  last_seq: number;
}

interface IEventBase {
  seq: number;
  ts: number;
}

export interface IMessageEvent extends IEventBase {
  type: 'message';
  role: 'user' | 'assistant';
  agent?: string;
  text: string;
  /** Set when this user message is the answer to an `ask_user` question. */
  question_id?: string;
}
export interface IDeltaEvent extends IEventBase {
  type: 'delta';
  agent: string;
  text: string;
}
export interface IRunStartedEvent extends IEventBase {
  type: 'run_started';
  turn: number;
}
export interface IRunFinishedEvent extends IEventBase {
  type: 'run_finished';
  status: 'done' | 'stopped' | 'failed';
  summary?: string;
}
export interface IPlanEvent extends IEventBase {
  type: 'plan';
  tasks: ITask[];
}
export interface ICellProposedEvent extends IEventBase {
  type: 'cell_proposed';
  cell_id: string;
  task_id?: string | null;
  source: string;
  explanation: string;
  review: IReview;
  needs_approval: boolean;
}
export interface ICellExecutingEvent extends IEventBase {
  type: 'cell_executing';
  cell_id: string;
}
export interface ICellExecutedEvent extends IEventBase {
  type: 'cell_executed';
  cell_id: string;
  status: 'ok' | 'error';
  execution_count: number | null;
  outputs: IOutput[];
}
export interface ICellRejectedEvent extends IEventBase {
  type: 'cell_rejected';
  cell_id: string;
  reason?: string | null;
}
export interface ICellBlockedEvent extends IEventBase {
  type: 'cell_blocked';
  cell_id: string;
  reason: string;
}
export interface IQuestionEvent extends IEventBase {
  type: 'question';
  question_id: string;
  text: string;
}
export interface IVariablesEvent extends IEventBase {
  type: 'variables';
  variables: IVariable[];
}
export interface IUsageEvent extends IEventBase {
  type: 'usage';
  input_tokens: number;
  output_tokens: number;
  cost_usd?: number | null;
}
export interface IErrorEvent extends IEventBase {
  type: 'error';
  code: string;
  message: string;
}

export type SessionEvent =
  | IMessageEvent
  | IDeltaEvent
  | IRunStartedEvent
  | IRunFinishedEvent
  | IPlanEvent
  | ICellProposedEvent
  | ICellExecutingEvent
  | ICellExecutedEvent
  | ICellRejectedEvent
  | ICellBlockedEvent
  | IQuestionEvent
  | IVariablesEvent
  | IUsageEvent
  | IErrorEvent;

/** The live notebook channel (see `jupyter_codeagent/notebook/live.py`). */
export interface INotebookCellJSON {
  cell_type: 'code';
  id?: string;
  source: string | string[];
  outputs?: IOutput[];
  execution_count?: number | null;
  metadata?: { [key: string]: unknown };
}

export interface IInsertCellOp {
  op: 'insert_cell';
  path: string;
  session_id: string;
  cell_id: string;
  after: string | null;
  cell: INotebookCellJSON;
}

export interface IUpdateCellOp {
  op: 'update_cell';
  path: string;
  cell_id: string;
  source?: string;
  status?: string;
  outputs?: IOutput[];
  execution_count?: number | null;
}

export type NotebookOp = IInsertCellOp | IUpdateCellOp;

export interface INotebookAck {
  ok: boolean;
  code?: string;
  message?: string;
}

/** `metadata.codeagent` of an agent cell. */
export interface IAgentCellMetadata {
  session?: string;
  cell_id?: string;
  status?: string;
}

/** `GET/PATCH codeagent/settings`. */
export interface IServerSettings {
  provider: string | null;
  model: string | null;
  approval: string;
  max_steps: number;
  editable?: string[];
  [key: string]: unknown;
}
