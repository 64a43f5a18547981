import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { CodeAgentApiError, errorMessage } from './api';
import { CellReview } from './cellReview';
import { CodeAgentClient } from './client';
import { LoadedSession } from './loadedSession';
import { normalizePath } from './notebook/agentCells';
import { ICellAttachment, messageWithAttachment } from './notebook/cellContext';
import { SessionList } from './sessionList';
import { reduce } from './state/reducer';
import { Action, isActive } from './state/viewState';
import type { IUserChoices } from './settings';
import type { ISessionSummary } from './types';
import { IAgentStore, IAgentUIState, initialUIState } from './uiState';

export { TURNS_PER_PAGE } from './loadedSession';
export type { IAgentUIState } from './uiState';

/** The settings a controller reads the user's choices from. */
export interface IUserChoicesSource {
  readonly choices: IUserChoices;
}

/**
 * The sidebar's state and actions: binds the chat to the active notebook, loads a
 * session (snapshot + event replay through a SessionConnection), and calls the routes.
 * The session shown (loadedSession.ts), the session list (sessionList.ts) and the
 * review of cells (cellReview.ts) are helpers that reach the state through an
 * IAgentStore; the methods here that only delegate keep the sidebar's one entry point.
 */
export class AgentController {
  constructor(
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    readonly client: CodeAgentClient = new CodeAgentClient(),
    private readonly _userSettings: IUserChoicesSource = { choices: {} }
  ) {
    this._state = initialUIState();
    const store: IAgentStore = {
      getState: this.getState,
      set: changes => this._set(changes),
      dispatch: action => this._dispatch(action)
    };
    const notebooks = { app, tracker, client: this.client };
    this._session = new LoadedSession({
      ...store,
      ...notebooks,
      refreshSessions: () => this.refreshSessions(),
      readReplacedCells: () => this._review.readReplacedCells()
    });
    this._sessionList = new SessionList({
      ...store,
      ...notebooks,
      openSession: sessionId => this.openSession(sessionId),
      closeSession: () => this._session.close()
    });
    this._review = new CellReview({ ...store, ...notebooks });
    tracker.currentChanged.connect((_, panel) => void this.bindNotebook(panel));
    const follow = (panel: NotebookPanel) => {
      let path = normalizePath(panel.context.localPath);
      panel.context.pathChanged.connect(() => {
        const moved = normalizePath(panel.context.localPath);
        this._notebookMoved(path, moved);
        path = moved;
      });
    };
    tracker.forEach(follow);
    tracker.widgetAdded.connect((_, panel) => {
      follow(panel);
      panel.disposed.connect(() => this._session.updateAttached());
      void panel.context.ready.then(() => this._session.updateAttached());
      this._session.updateAttached();
    });
    void this.refreshHealth();
    void this.bindNotebook(tracker.currentWidget);
  }

  /** Emitted when the composer should take focus (a command attached a cell...). */
  readonly focusRequested = new Signal<this, void>(this);
  /** Emitted with text to insert at the composer's cursor (`@name` of a variable). */
  readonly insertRequested = new Signal<this, string>(this);

  // --- store ----------------------------------------------------------------------------

  readonly subscribe = (listener: () => void): (() => void) => {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  };

  readonly getState = (): IAgentUIState => this._state;

  private _set(changes: Partial<IAgentUIState>): void {
    this._state = { ...this._state, ...changes };
    for (const listener of this._listeners) {
      listener();
    }
  }

  private _dispatch(action: Action): void {
    const view = reduce(this._state.view, action);
    if (view !== this._state.view) {
      this._set({ view });
    }
  }

  // --- health and sessions -----------------------------------------------------------------

  async refreshHealth(): Promise<void> {
    this._set({ healthError: null });
    try {
      this._set({ health: await this.client.health() });
    } catch (reason) {
      this._set({ health: null, healthError: errorMessage(reason) });
    }
  }

  refreshSessions(): Promise<ISessionSummary[]> {
    return this._sessionList.refreshSessions();
  }

  /** Search the sessions (titles, notebook paths, conversations); '' shows them all. */
  searchSessions(query: string): Promise<void> {
    return this._sessionList.searchSessions(query);
  }

  renameSession(sessionId: string, title: string): Promise<boolean> {
    return this._sessionList.renameSession(sessionId, title);
  }

  /** Forget the sessions whose notebook was deleted; how many went. */
  clearOrphanedSessions(): Promise<number> {
    return this._sessionList.clearOrphanedSessions();
  }

  /** Follow the active notebook: its newest session, or an empty chat until the first message. */
  async bindNotebook(panel: NotebookPanel | null): Promise<void> {
    if (!panel) {
      return; // the last notebook closed: keep showing the session
    }
    await panel.context.ready;
    const path = normalizePath(panel.context.localPath);
    if (path === this._state.notebookPath) {
      return;
    }
    this._set({ notebookPath: path });
    if (path === this._state.sessionPath) {
      return;
    }
    const token = ++this._bindToken;
    const sessions = await this.refreshSessions();
    if (token !== this._bindToken || this._state.sessionPath === path) {
      // Another notebook became active meanwhile, or a message sent meanwhile started a
      // session here: the list, fetched before it, must not take it away.
      return;
    }
    const newest = sessions
      .filter(session => normalizePath(session.notebook_path) === path)
      .sort((a, b) => b.updated - a.updated)[0];
    if (newest) {
      await this.openSession(newest.id);
    } else {
      this._session.close();
    }
  }

  /** Load a session into the chat, and follow its events live. */
  openSession(sessionId: string): Promise<void> {
    return this._session.open(sessionId);
  }

  /** "Show earlier": the turns before the oldest loaded one, put in front of the chat. */
  loadEarlier(): Promise<void> {
    return this._session.loadEarlier();
  }

  /** A fresh session for the active notebook. */
  newSession(): Promise<string | null> {
    return this._sessionList.newSession();
  }

  deleteSession(sessionId: string): Promise<void> {
    return this._sessionList.deleteSession(sessionId);
  }

  // --- chat --------------------------------------------------------------------------------

  setComposer(text: string): void {
    this._set({ composer: text });
  }

  insertIntoComposer(text: string): void {
    this.insertRequested.emit(text);
  }

  /** Attach a notebook cell to the next message and prefill the request. */
  attachCell(attachment: ICellAttachment, prompt: string): void {
    this._set({ attachment, composer: prompt });
    this.focusRequested.emit();
  }

  /**
   * Attach a cell and send the request at once ("Explain this cell", "Fix this error");
   * while a run is in flight it waits in the composer instead.
   */
  async sendWithCell(attachment: ICellAttachment, prompt: string): Promise<void> {
    this.attachCell(attachment, prompt);
    if (!isActive(this._state.view.status) && !this._state.sending) {
      await this.send();
    }
  }

  clearAttachment(): void {
    this._set({ attachment: null });
  }

  dismissBanner(): void {
    this._set({ banner: null });
  }

  async send(): Promise<void> {
    const { composer, attachment, sending } = this._state;
    const text = messageWithAttachment(composer, attachment).trim();
    if (!text || sending) {
      return;
    }
    this._set({ sending: true, banner: null });
    try {
      let sessionId = this._state.sessionId;
      if (!sessionId) {
        sessionId = await this.newSession();
        if (!sessionId) {
          return;
        }
      }
      await this.client.sendMessage(sessionId, text, this._userSettings.choices);
      this._set({ composer: '', attachment: null });
    } catch (reason) {
      this._set({ banner: this._explain(reason) });
      if (reason instanceof CodeAgentApiError && reason.status === 503) {
        void this.refreshHealth();
      }
    } finally {
      this._set({ sending: false });
    }
  }

  async stop(): Promise<void> {
    const sessionId = this._state.sessionId;
    if (!sessionId) {
      return;
    }
    try {
      await this.client.stop(sessionId);
    } catch (reason) {
      this._set({ banner: `Could not stop the run: ${errorMessage(reason)}` });
    }
  }

  // --- decisions ---------------------------------------------------------------------------

  /** Run a proposed cell; if the user edited it in the notebook, that code runs. */
  approve(cellId: string): Promise<void> {
    return this._review.approve(cellId);
  }

  reject(cellId: string, reason?: string): Promise<void> {
    return this._review.reject(cellId, reason);
  }

  /**
   * Approve from the notebook (the gate's "Approve & run"): the session's own cell
   * through the panel's path, a cell of another session of this notebook directly.
   */
  approveCell(sessionId: string, cellId: string): Promise<void> {
    return this._review.approveCell(sessionId, cellId);
  }

  /** Undo a cell that ran (`cellId`), or the whole last run (null); false if refused. */
  undo(cellId: string | null): Promise<boolean> {
    return this._review.undo(cellId);
  }

  /** The first cell waiting for a decision (keyboard shortcuts act on it). */
  firstPendingCell(): string | null {
    return this._review.firstPendingCell();
  }

  async answer(questionId: string, text: string): Promise<void> {
    const sessionId = this._state.sessionId;
    if (!sessionId || !text.trim()) {
      return;
    }
    try {
      await this.client.answer(sessionId, questionId, text.trim());
      this._dispatch({ type: 'question_answered', questionId, text: text.trim() });
    } catch (reason) {
      this._set({ banner: `Could not send the answer: ${errorMessage(reason)}` });
    }
  }

  /** The agent cell's current source in the open notebook (null if not open / not found). */
  notebookSource(cellId: string): string | null {
    return this._review.notebookSource(cellId);
  }

  /** A proposed change of an existing cell the user opened for editing in that cell. */
  isEditingInPlace(cellId: string): boolean {
    return this._review.isEditingInPlace(cellId);
  }

  /** Edit: show the agent cell in the notebook, in edit mode with the cursor in it. */
  editCell(cellId: string): Promise<void> {
    return this._review.editCell(cellId);
  }

  dispose(): void {
    this._session.close();
    Signal.clearData(this);
  }

  // --- internals ---------------------------------------------------------------------------

  /** A notebook was renamed or moved (`pathChanged`): the chat follows it. */
  private _notebookMoved(from: string, to: string): void {
    const changes: Partial<IAgentUIState> = {};
    if (this._state.sessionPath === from) {
      changes.sessionPath = to;
    }
    if (this._state.notebookPath === from) {
      changes.notebookPath = to;
    }
    if (Object.keys(changes).length > 0) {
      this._set(changes);
      void this.refreshSessions();
    }
  }

  private _explain(reason: unknown): string {
    if (reason instanceof CodeAgentApiError) {
      if (reason.status === 409) {
        return 'The agents are still working on the previous request: wait for it or press Stop.';
      }
      if (reason.code === 'not_configured') {
        return `No model is configured: ${reason.message}`;
      }
    }
    return `Could not send the message: ${errorMessage(reason)}`;
  }

  private _state: IAgentUIState;
  private readonly _listeners = new Set<() => void>();
  private _bindToken = 0;
  private readonly _session: LoadedSession;
  private readonly _sessionList: SessionList;
  private readonly _review: CellReview;
}
