import type { IHealth } from './api';
import type { ConnectionStatus } from './connection';
import type { ICellAttachment } from './notebook/cellContext';
import { Action, IViewState, initialState } from './state/viewState';
import type { ISessionSummary } from './types';

/** Everything the sidebar shows; a new object on every change (for useSyncExternalStore). */
export interface IAgentUIState {
  health: IHealth | null;
  healthError: string | null;
  /** The notebook the chat is bound to (the active notebook). */
  notebookPath: string | null;
  sessions: readonly ISessionSummary[];
  sessionId: string | null;
  /** The notebook of the loaded session (differs from notebookPath for a reopened old one). */
  sessionPath: string | null;
  loading: boolean;
  connection: ConnectionStatus | 'none';
  view: IViewState;
  /** The last failed action, as a sentence. */
  banner: string | null;
  sending: boolean;
  composer: string;
  attachment: ICellAttachment | null;
  /** The session's notebook is open here, so agent cells are applied to it live. */
  attached: boolean;
  /** Earlier turns exist that are not loaded ("Show earlier"). */
  hasEarlier: boolean;
  loadingEarlier: boolean;
  /** The session list's search text, and its results (null: no search, all sessions). */
  sessionQuery: string;
  sessionResults: readonly ISessionSummary[] | null;
}

/** The sidebar before anything is loaded: no notebook, no session. */
export function initialUIState(): IAgentUIState {
  return {
    health: null,
    healthError: null,
    notebookPath: null,
    sessions: [],
    sessionId: null,
    sessionPath: null,
    loading: false,
    connection: 'none',
    view: initialState(),
    banner: null,
    sending: false,
    composer: '',
    attachment: null,
    attached: false,
    hasEarlier: false,
    loadingEarlier: false,
    sessionQuery: '',
    sessionResults: null
  };
}

/**
 * The controller's state as its helpers (the session list, the cell review) see it,
 * handed to them explicitly so that they need not import the controller.
 */
export interface IAgentStore {
  getState(): IAgentUIState;
  /** Merge the changes into a new state object and tell the listeners. */
  set(changes: Partial<IAgentUIState>): void;
  /** Run an action through the view's reducer. */
  dispatch(action: Action): void;
}
