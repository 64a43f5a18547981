/**
 * The server's public contract (DESIGN.md): REST bodies, and the WebSocket events
 * generated from `jupyter_codeagent/events.py` (see `generated/events.ts`).
 *
 * Pure types, no imports of JupyterLab: the state reducer and its unit tests build on
 * them without loading JupyterLab.
 */

import type {
  ICellExecutedEvent,
  IFinding,
  IPlanTask,
  IReview,
  IRunUsage,
  IVariable,
  SessionEvent
} from './generated/events';

export type * from './generated/events';

export type AgentRole = 'planner' | 'coder' | 'reviewer' | 'summarizer';
export type SessionStatus = 'idle' | 'running' | 'waiting' | 'done' | 'stopped' | 'failed';
export type TaskStatus = IPlanTask['status'];
export type RiskLevel = IReview['risk'];
export type Verdict = IReview['verdict'];
export type FindingSeverity = IFinding['severity'];
/** A cell's status on the server (and in `metadata.codeagent.status`). */
export type CellStatus =
  | 'proposed'
  | 'running'
  | 'done'
  | 'error'
  | 'rejected'
  | 'blocked'
  | 'stopped'
  | 'undone';

/** A plan task as the snapshot has it (events carry `IPlanTask`). */
export interface ITask extends Omit<IPlanTask, 'note'> {
  note?: string | null;
  description?: string;
}

/** An nbformat v4 output, kept opaque except for what the UI reads. */
export type IOutput = ICellExecutedEvent['outputs'][number] & { output_type?: unknown };

/** Tokens and cost of the session (totals) and of its runs (those loaded). */
export interface IUsage {
  input_tokens: number;
  output_tokens: number;
  /** Of `input_tokens`, served from / written to the provider's prompt cache. */
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  /** null: no call had a known price ("unknown", not "free"). */
  cost_usd?: number | null;
  calls?: number;
  /** Per run (`turn`), oldest first: the runs of the turns shown, then live ones. */
  runs?: IRunUsage[];
}

export interface ISessionSummary {
  id: string;
  notebook_path: string;
  title: string | null;
  status: SessionStatus | string;
  created: number;
  updated: number;
  /** `GET sessions`: whether the session's notebook still exists. */
  notebook_exists?: boolean;
  /** `GET sessions?q=`: the matching words of its conversation, when they matched. */
  match?: string;
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

/** Timeline events of whole turns (`GET sessions/{id}?turns=K`, `.../history`). */
export interface ITimelinePage {
  events: SessionEvent[];
  /** The seq the page's first turn starts at: pass it as `before` for earlier turns. */
  start_seq: number;
  has_earlier: boolean;
  cells?: ISnapshotCell[];
  /** `history`: tokens and cost of the page's runs. */
  usage_runs?: IRunUsage[];
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
  /** Present when the snapshot was asked for with `?turns=K`. */
  timeline?: ITimelinePage;
}

/** Every event type name. */
export type SessionEventType = SessionEvent['type'];

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
  /** This tab saves the notebook once the change is applied (it is the primary one). */
  save?: boolean;
  transient?: boolean;
}

export interface IUpdateCellOp {
  op: 'update_cell';
  path: string;
  cell_id: string;
  source?: string;
  status?: string;
  outputs?: IOutput[];
  execution_count?: number | null;
  /** The outputs of a running cell: shown, never saved on their own. */
  transient?: boolean;
  /** This tab saves the notebook once the change is applied (it is the primary one). */
  save?: boolean;
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
