import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { CodeAgentApiError, IHealth, errorMessage } from './api';
import { CodeAgentClient } from './client';
import { ConnectionStatus, SessionConnection } from './connection';
import { findPanel, normalizePath } from './notebook/agentCells';
import { NotebookApplier, reportCells } from './notebook/applier';
import { catchUpWithDisk } from './notebook/persist';
import { ICellAttachment, messageWithAttachment } from './notebook/cellContext';
import { anchorSource, editInPlace, restoreSource } from './notebook/inlineReview';
import { agentCellSource, kernelIdOf, revealAgentCell } from './notebook/sessionNotebook';
import { reduce } from './state/reducer';
import { Action, IViewState, initialState, isActive, pendingCells } from './state/viewState';
import type { IUserChoices } from './settings';
import type {
  IRunUsage,
  ISessionSnapshot,
  ISessionSummary,
  ISnapshotCell,
  SessionEvent
} from './types';

/** Turns of the conversation loaded when a session opens, and per "Show earlier". */
export const TURNS_PER_PAGE = 10;

/** The settings a controller reads the user's choices from. */
export interface IUserChoicesSource {
  readonly choices: IUserChoices;
}

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

/**
 * The sidebar's state and actions: binds the chat to the active notebook, loads a
 * session (snapshot + event replay through a SessionConnection), and calls the routes.
 */
export class AgentController {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _tracker: INotebookTracker,
    readonly client: CodeAgentClient = new CodeAgentClient(),
    private readonly _userSettings: IUserChoicesSource = { choices: {} }
  ) {
    this._applier = new NotebookApplier(_tracker, _app.serviceManager.contents);
    this._state = {
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
    _tracker.currentChanged.connect((_, panel) => void this.bindNotebook(panel));
    const follow = (panel: NotebookPanel) => {
      let path = normalizePath(panel.context.localPath);
      panel.context.pathChanged.connect(() => {
        const moved = normalizePath(panel.context.localPath);
        this._notebookMoved(path, moved);
        path = moved;
      });
    };
    _tracker.forEach(follow);
    _tracker.widgetAdded.connect((_, panel) => {
      follow(panel);
      panel.disposed.connect(() => this._updateAttached());
      void panel.context.ready.then(() => this._updateAttached());
      this._updateAttached();
    });
    void this.refreshHealth();
    void this.bindNotebook(_tracker.currentWidget);
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

  async refreshSessions(): Promise<ISessionSummary[]> {
    try {
      const sessions = await this.client.listSessions();
      this._set({ sessions });
      return sessions;
    } catch (reason) {
      this._set({ banner: `Could not list the sessions: ${errorMessage(reason)}` });
      return [...this._state.sessions];
    }
  }

  /** Search the sessions (titles, notebook paths, conversations); '' shows them all. */
  async searchSessions(query: string): Promise<void> {
    const token = ++this._searchToken;
    this._set({ sessionQuery: query });
    if (!query.trim()) {
      this._set({ sessionResults: null });
      return;
    }
    try {
      const found = await this.client.listSessions(query);
      if (token === this._searchToken) {
        this._set({ sessionResults: found });
      }
    } catch (reason) {
      if (token === this._searchToken) {
        this._set({ banner: `Could not search the sessions: ${errorMessage(reason)}` });
      }
    }
  }

  async renameSession(sessionId: string, title: string): Promise<boolean> {
    try {
      await this.client.renameSession(sessionId, title);
    } catch (reason) {
      this._set({ banner: `Could not rename the session: ${errorMessage(reason)}` });
      return false;
    }
    await this._refreshLists();
    return true;
  }

  /** Forget the sessions whose notebook was deleted; how many went. */
  async clearOrphanedSessions(): Promise<number> {
    let deleted: string[];
    try {
      deleted = (await this.client.deleteOrphanedSessions()).deleted;
    } catch (reason) {
      this._set({ banner: `Could not clear the sessions: ${errorMessage(reason)}` });
      return 0;
    }
    if (this._state.sessionId !== null && deleted.includes(this._state.sessionId)) {
      this._closeSession();
    }
    await this._refreshLists();
    return deleted.length;
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
    if (token !== this._bindToken) {
      return;
    }
    const newest = sessions
      .filter(session => normalizePath(session.notebook_path) === path)
      .sort((a, b) => b.updated - a.updated)[0];
    if (newest) {
      await this.openSession(newest.id);
    } else {
      this._closeSession();
    }
  }

  /**
   * Load a session: the snapshot of its last turns (with their timeline events), then
   * the events after the snapshot's `last_seq`, live. Opening costs the same however
   * long the session is; `loadEarlier` pages older turns in.
   */
  async openSession(sessionId: string): Promise<void> {
    const token = ++this._openToken;
    this._closeSession();
    this._set({ sessionId, loading: true, view: initialState(sessionId), banner: null });
    let snapshot: ISessionSnapshot;
    try {
      snapshot = await this.client.getSession(sessionId, TURNS_PER_PAGE);
    } catch (reason) {
      if (token === this._openToken) {
        this._set({ loading: false, banner: `Could not open the session: ${errorMessage(reason)}` });
      }
      return;
    }
    if (token !== this._openToken) {
      return;
    }
    this._snapshot = snapshot;
    this._earlierCells = [];
    this._earlierRuns = [];
    this._loaded = [...(snapshot.timeline?.events ?? [])];
    this._startSeq = snapshot.timeline?.start_seq ?? 0;
    this._dispatch({ type: 'snapshot', snapshot });
    this._dispatch({ type: 'events', events: this._loaded });
    this._readReplacedCells();
    this._set({
      sessionPath: normalizePath(snapshot.notebook_path),
      loading: false,
      hasEarlier: snapshot.timeline?.has_earlier ?? false
    });
    this._connection = new SessionConnection({
      sessionId,
      serverSettings: this.client.serverSettings,
      after: snapshot.last_seq,
      applier: this._applier,
      onEvents: events => this._onEvents(events),
      onStatus: connection => this._set({ connection }),
      shouldReconnect: () => this._sessionExists(sessionId),
      attachCells: () => this._attachCells(sessionId)
    });
    this._set({ connection: 'connecting' });
    this._updateAttached();
  }

  /** "Show earlier": the turns before the oldest loaded one, put in front of the chat. */
  async loadEarlier(): Promise<void> {
    const { sessionId, hasEarlier, loadingEarlier } = this._state;
    const snapshot = this._snapshot;
    if (!sessionId || !snapshot || !hasEarlier || loadingEarlier) {
      return;
    }
    this._set({ loadingEarlier: true });
    try {
      const page = await this.client.history(sessionId, this._startSeq, TURNS_PER_PAGE);
      if (sessionId !== this._state.sessionId) {
        return;
      }
      this._earlierCells = [...(page.cells ?? []), ...this._earlierCells];
      this._earlierRuns = [...(page.usage_runs ?? []), ...this._earlierRuns];
      this._loaded = [...page.events, ...this._loaded];
      this._startSeq = page.start_seq;
      // Rebuilt from the start so the older items sit before the newer ones.
      const runs = [...this._earlierRuns, ...(snapshot.usage.runs ?? [])];
      const merged = {
        ...snapshot,
        cells: [...this._earlierCells, ...snapshot.cells],
        usage: { ...snapshot.usage, runs }
      };
      let view = reduce(initialState(sessionId), { type: 'snapshot', snapshot: merged });
      view = reduce(view, { type: 'events', events: this._loaded });
      this._set({ view, hasEarlier: page.has_earlier });
    } catch (reason) {
      this._set({ banner: `Could not load earlier messages: ${errorMessage(reason)}` });
    } finally {
      this._set({ loadingEarlier: false });
    }
  }

  /** A fresh session for the active notebook. */
  async newSession(): Promise<string | null> {
    let path = this._state.notebookPath;
    const current = this._tracker.currentWidget;
    if (!path && current) {
      await current.context.ready; // the notebook is still loading
      path = normalizePath(current.context.localPath);
    }
    if (!path) {
      this._set({ banner: 'Open a notebook first: a session works in one notebook.' });
      return null;
    }
    try {
      const kernelId = await kernelIdOf(this._tracker, path);
      const created = await this.client.createSession(path, kernelId);
      void this.refreshSessions();
      await this.openSession(created.id);
      return created.id;
    } catch (reason) {
      this._set({ banner: `Could not start a session: ${errorMessage(reason)}` });
      return null;
    }
  }

  async deleteSession(sessionId: string): Promise<void> {
    try {
      await this.client.deleteSession(sessionId);
    } catch (reason) {
      this._set({ banner: `Could not delete the session: ${errorMessage(reason)}` });
      return;
    }
    if (sessionId === this._state.sessionId) {
      this._closeSession();
    }
    await this._refreshLists();
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
  async approve(cellId: string): Promise<void> {
    const sessionId = this._state.sessionId;
    const cell = this._state.view.cells[cellId];
    if (!sessionId || !cell) {
      return;
    }
    // A change of an existing cell is only in the notebook if the user chose Edit.
    const current = cell.replaces
      ? this._inPlace.has(cellId)
        ? anchorSource(this._tracker, this._state.sessionPath, cell.replaces)
        : null
      : this.notebookSource(cellId);
    const edited = current !== null && current.trim() && current !== cell.source ? current : undefined;
    this._inPlace.delete(cellId);
    this._dispatch({ type: 'decision_sent', cellId, decision: 'approve' });
    try {
      await this.client.approve(sessionId, cellId, edited);
    } catch (reason) {
      this._dispatch({ type: 'decision_failed', cellId });
      this._set({ banner: `Could not approve the cell: ${errorMessage(reason)}` });
    }
  }

  async reject(cellId: string, reason?: string): Promise<void> {
    const sessionId = this._state.sessionId;
    const cell = this._state.view.cells[cellId];
    if (!sessionId || !cell) {
      return;
    }
    const original = this._inPlace.get(cellId);
    const path = this._state.sessionPath;
    if (original !== undefined && path) {
      restoreSource(this._tracker, path, cell, original); // the change opened for editing goes
      this._inPlace.delete(cellId);
    }
    this._dispatch({ type: 'decision_sent', cellId, decision: 'reject' });
    try {
      await this.client.reject(sessionId, cellId, reason?.trim() || undefined);
    } catch (error) {
      this._dispatch({ type: 'decision_failed', cellId });
      this._set({ banner: `Could not reject the cell: ${errorMessage(error)}` });
    }
  }

  /**
   * Approve from the notebook (the gate's "Approve & run"): the session's own cell
   * through the panel's path, a cell of another session of this notebook directly.
   */
  async approveCell(sessionId: string, cellId: string): Promise<void> {
    if (sessionId === this._state.sessionId && this._state.view.cells[cellId]) {
      return this.approve(cellId);
    }
    try {
      const path = this._state.notebookPath;
      const current = path ? agentCellSource(this._tracker, path, cellId) : null;
      await this.client.approve(sessionId, cellId, current?.trim() ? current : undefined);
    } catch (reason) {
      this._set({ banner: `Could not approve the cell: ${errorMessage(reason)}` });
    }
  }

  /** Undo a cell that ran (`cellId`), or the whole last run (null); false if refused. */
  async undo(cellId: string | null): Promise<boolean> {
    const sessionId = this._state.sessionId;
    if (!sessionId) {
      return false;
    }
    try {
      await (cellId === null ? this.client.revert(sessionId) : this.client.undo(sessionId, cellId));
      return true;
    } catch (reason) {
      const what = cellId === null ? 'revert the run' : 'undo the cell';
      this._set({ banner: `Could not ${what}: ${errorMessage(reason)}` });
      return false;
    }
  }

  /** The first cell waiting for a decision (keyboard shortcuts act on it). */
  firstPendingCell(): string | null {
    return pendingCells(this._state.view)[0]?.cellId ?? null;
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
    return agentCellSource(this._tracker, this._state.sessionPath, cellId);
  }

  /** A proposed change of an existing cell the user opened for editing in that cell. */
  isEditingInPlace(cellId: string): boolean {
    return this._inPlace.has(cellId);
  }

  /** Edit: show the agent cell in the notebook, in edit mode with the cursor in it. */
  async editCell(cellId: string): Promise<void> {
    const path = this._state.sessionPath;
    const cell = this._state.view.cells[cellId];
    if (!path || !cell) {
      return;
    }
    if (cell.replaces) {
      // The proposed code goes into the cell it changes (put back on reject).
      const result = await editInPlace(this._app, this._tracker, path, cell, this._inPlace.has(cellId));
      if ('problem' in result) {
        this._set({ banner: result.problem });
      } else if (!this._inPlace.has(cellId)) {
        this._inPlace.set(cellId, result.original);
        this._set({}); // the inline bar says so
      }
      return;
    }
    const problem = await revealAgentCell(this._app, this._tracker, path, cellId);
    if (problem) {
      this._set({ banner: problem });
    }
  }

  dispose(): void {
    this._closeSession();
    Signal.clearData(this);
  }

  // --- internals ---------------------------------------------------------------------------

  private _onEvents(events: SessionEvent[]): void {
    this._loaded.push(...events);
    if (events.some(event => event.type === 'run_finished')) {
      // The run's streamed text now lives in its messages (the server folds it too).
      this._loaded = this._loaded.filter(event => event.type !== 'delta');
    }
    this._dispatch({ type: 'events', events });
    this._readReplacedCells();
    if (events.some(event => event.type === 'run_finished' || event.type === 'run_started')) {
      void this.refreshSessions();
    }
  }

  /** The code a waiting change replaces, from the open notebook (for its diff). */
  private _readReplacedCells(): void {
    const { view, sessionPath } = this._state;
    for (const cellId of view.cellOrder) {
      const cell = view.cells[cellId];
      if (cell?.replaces && cell.previousSource === null && cell.status === 'proposed') {
        const source = anchorSource(this._tracker, sessionPath, cell.replaces);
        if (source !== null) {
          this._dispatch({ type: 'replaced_source', cellId, source });
        }
      }
    }
  }

  private _closeSession(): void {
    this._connection?.dispose();
    this._connection = null;
    this._snapshot = null;
    this._loaded = [];
    this._earlierCells = [];
    this._earlierRuns = [];
    this._set({
      hasEarlier: false,
      sessionId: null,
      sessionPath: null,
      view: initialState(),
      connection: 'none',
      loading: false,
      attached: false
    });
  }

  /** The session's agent cells in its open notebook, after catching up with the file. */
  private async _attachCells(sessionId: string): Promise<unknown[] | null> {
    const path = this._state.sessionPath;
    const panel = path ? findPanel(this._tracker, path) : null;
    if (!panel) {
      return null;
    }
    await panel.context.ready;
    await catchUpWithDisk(panel, this._app.serviceManager.contents);
    const model = panel.content.model;
    return model ? reportCells(model, sessionId) : null;
  }

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

  private _updateAttached(): void {
    const path = this._state.sessionPath;
    const attached = path !== null && findPanel(this._tracker, path) !== null;
    this._connection?.setAttached(attached);
    if (attached !== this._state.attached) {
      this._set({ attached });
    }
  }

  /** The session list, and the search results if a search is shown. */
  private async _refreshLists(): Promise<void> {
    await Promise.all([this.refreshSessions(), this.searchSessions(this._state.sessionQuery)]);
  }

  private async _sessionExists(sessionId: string): Promise<boolean> {
    try {
      await this.client.getSession(sessionId, 1); // one turn: asking costs the same for any session
      return true;
    } catch (reason) {
      if (reason instanceof CodeAgentApiError && reason.status === 404) {
        if (sessionId === this._state.sessionId) {
          this._set({ banner: 'This session no longer exists on the server.' });
        }
        return false;
      }
      return true;
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
  private readonly _applier: NotebookApplier;
  private _connection: SessionConnection | null = null;
  private _bindToken = 0;
  private _openToken = 0;
  private _searchToken = 0;
  private _snapshot: ISessionSnapshot | null = null;
  /** Timeline events loaded so far (pages and live), to rebuild the chat from. */
  private _loaded: SessionEvent[] = [];
  private _earlierCells: ISnapshotCell[] = [];
  private _earlierRuns: IRunUsage[] = [];
  private _startSeq = 0;
  /** Changes of existing cells opened for editing: cell id → the cell's code before. */
  private readonly _inPlace = new Map<string, string>();
}
