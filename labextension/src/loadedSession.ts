import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker } from '@jupyterlab/notebook';

import { CodeAgentApiError, errorMessage } from './api';
import type { CodeAgentClient } from './client';
import { SessionConnection } from './connection';
import { findPanel, normalizePath } from './notebook/agentCells';
import { NotebookApplier, reportCells } from './notebook/applier';
import { catchUpWithDisk } from './notebook/persist';
import { reduce } from './state/reducer';
import { initialState } from './state/viewState';
import type { IRunUsage, ISessionSnapshot, ISessionSummary, ISnapshotCell, SessionEvent } from './types';
import type { IAgentStore } from './uiState';

/** Turns of the conversation loaded when a session opens, and per "Show earlier". */
export const TURNS_PER_PAGE = 10;

/** What the loaded session needs of the controller besides its state. */
export interface ILoadedSessionHost extends IAgentStore {
  readonly app: JupyterFrontEnd;
  readonly tracker: INotebookTracker;
  readonly client: CodeAgentClient;
  /** Runs starting and finishing change the session list. */
  refreshSessions(): Promise<ISessionSummary[]>;
  /** New proposals that change existing cells need those cells' code for their diff. */
  readReplacedCells(): void;
}

/**
 * The session the chat shows: its snapshot, the earlier pages loaded since, and the
 * live events of its SessionConnection, which also carries the open notebook's cells.
 */
export class LoadedSession {
  constructor(private readonly _host: ILoadedSessionHost) {
    this._applier = new NotebookApplier(_host.tracker, _host.app.serviceManager.contents);
  }

  /**
   * Load a session: the snapshot of its last turns (with their timeline events), then
   * the events after the snapshot's `last_seq`, live. Opening costs the same however
   * long the session is; `loadEarlier` pages older turns in.
   */
  async open(sessionId: string): Promise<void> {
    const host = this._host;
    this.close();
    const token = ++this._openToken;
    host.set({ sessionId, loading: true, view: initialState(sessionId), banner: null });
    let snapshot: ISessionSnapshot;
    try {
      snapshot = await host.client.getSession(sessionId, TURNS_PER_PAGE);
    } catch (reason) {
      if (token === this._openToken) {
        host.set({ loading: false, banner: `Could not open the session: ${errorMessage(reason)}` });
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
    host.dispatch({ type: 'snapshot', snapshot });
    host.dispatch({ type: 'events', events: this._loaded });
    host.readReplacedCells();
    host.set({
      sessionPath: normalizePath(snapshot.notebook_path),
      loading: false,
      hasEarlier: snapshot.timeline?.has_earlier ?? false
    });
    this._connection = new SessionConnection({
      sessionId,
      serverSettings: host.client.serverSettings,
      after: snapshot.last_seq,
      applier: this._applier,
      onEvents: events => this._onEvents(events),
      onStatus: connection => host.set({ connection }),
      shouldReconnect: () => this._sessionExists(sessionId),
      attachCells: () => this._attachCells(sessionId)
    });
    host.set({ connection: 'connecting' });
    this.updateAttached();
  }

  /** "Show earlier": the turns before the oldest loaded one, put in front of the chat. */
  async loadEarlier(): Promise<void> {
    const host = this._host;
    const { sessionId, hasEarlier, loadingEarlier } = host.getState();
    const snapshot = this._snapshot;
    if (!sessionId || !snapshot || !hasEarlier || loadingEarlier) {
      return;
    }
    host.set({ loadingEarlier: true });
    try {
      const page = await host.client.history(sessionId, this._startSeq, TURNS_PER_PAGE);
      if (sessionId !== host.getState().sessionId) {
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
      host.set({ view, hasEarlier: page.has_earlier });
    } catch (reason) {
      host.set({ banner: `Could not load earlier messages: ${errorMessage(reason)}` });
    } finally {
      host.set({ loadingEarlier: false });
    }
  }

  /** Empty the chat and drop the connection. */
  close(): void {
    ++this._openToken; // a session still opening must not come back after this
    this._connection?.dispose();
    this._connection = null;
    this._snapshot = null;
    this._loaded = [];
    this._earlierCells = [];
    this._earlierRuns = [];
    this._host.set({
      hasEarlier: false,
      sessionId: null,
      sessionPath: null,
      view: initialState(),
      connection: 'none',
      loading: false,
      attached: false
    });
  }

  /** Whether the session's notebook is open here, for the state and the connection. */
  updateAttached(): void {
    const path = this._host.getState().sessionPath;
    const attached = path !== null && findPanel(this._host.tracker, path) !== null;
    this._connection?.setAttached(attached);
    if (attached !== this._host.getState().attached) {
      this._host.set({ attached });
    }
  }

  private _onEvents(events: SessionEvent[]): void {
    this._loaded.push(...events);
    if (events.some(event => event.type === 'run_finished')) {
      // The run's streamed text now lives in its messages (the server folds it too).
      this._loaded = this._loaded.filter(event => event.type !== 'delta');
    }
    this._host.dispatch({ type: 'events', events });
    this._host.readReplacedCells();
    if (events.some(event => event.type === 'run_finished' || event.type === 'run_started')) {
      void this._host.refreshSessions();
    }
  }

  /** The session's agent cells in its open notebook, after catching up with the file. */
  private async _attachCells(sessionId: string): Promise<unknown[] | null> {
    const path = this._host.getState().sessionPath;
    const panel = path ? findPanel(this._host.tracker, path) : null;
    if (!panel) {
      return null;
    }
    await panel.context.ready;
    // In the applier's queue: a reload of the file must not drop an op being applied.
    return this._applier.exclusive(async () => {
      await catchUpWithDisk(panel, this._host.app.serviceManager.contents);
      const model = panel.content.model;
      return model ? reportCells(model, sessionId) : null;
    });
  }

  private async _sessionExists(sessionId: string): Promise<boolean> {
    try {
      await this._host.client.getSession(sessionId, 1); // one turn: asking costs the same for any session
      return true;
    } catch (reason) {
      if (reason instanceof CodeAgentApiError && reason.status === 404) {
        if (sessionId === this._host.getState().sessionId) {
          this._host.set({ banner: 'This session no longer exists on the server.' });
        }
        return false;
      }
      return true;
    }
  }

  private readonly _applier: NotebookApplier;
  private _connection: SessionConnection | null = null;
  private _openToken = 0;
  private _snapshot: ISessionSnapshot | null = null;
  /** Timeline events loaded so far (pages and live), to rebuild the chat from. */
  private _loaded: SessionEvent[] = [];
  private _earlierCells: ISnapshotCell[] = [];
  private _earlierRuns: IRunUsage[] = [];
  private _startSeq = 0;
}
