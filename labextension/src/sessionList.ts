import type { INotebookTracker } from '@jupyterlab/notebook';

import { errorMessage } from './api';
import type { CodeAgentClient } from './client';
import { normalizePath } from './notebook/agentCells';
import { kernelIdOf } from './notebook/sessionNotebook';
import type { ISessionSummary } from './types';
import type { IAgentStore } from './uiState';

/** What the session list needs of the controller besides its state. */
export interface ISessionListHost extends IAgentStore {
  readonly client: CodeAgentClient;
  readonly tracker: INotebookTracker;
  /** Load a session into the chat. */
  openSession(sessionId: string): Promise<void>;
  /** Empty the chat (its session was deleted). */
  closeSession(): void;
}

/**
 * The session picker's list and its actions: list, search, start, rename, delete,
 * clear the orphaned ones. A failure becomes the banner.
 */
export class SessionList {
  constructor(private readonly _host: ISessionListHost) {}

  async refreshSessions(): Promise<ISessionSummary[]> {
    try {
      const sessions = await this._host.client.listSessions();
      this._host.set({ sessions });
      return sessions;
    } catch (reason) {
      this._host.set({ banner: `Could not list the sessions: ${errorMessage(reason)}` });
      return [...this._host.getState().sessions];
    }
  }

  /** Search the sessions (titles, notebook paths, conversations); '' shows them all. */
  async searchSessions(query: string): Promise<void> {
    const token = ++this._searchToken;
    this._host.set({ sessionQuery: query });
    if (!query.trim()) {
      this._host.set({ sessionResults: null });
      return;
    }
    try {
      const found = await this._host.client.listSessions(query);
      if (token === this._searchToken) {
        this._host.set({ sessionResults: found });
      }
    } catch (reason) {
      if (token === this._searchToken) {
        this._host.set({ banner: `Could not search the sessions: ${errorMessage(reason)}` });
      }
    }
  }

  async renameSession(sessionId: string, title: string): Promise<boolean> {
    try {
      await this._host.client.renameSession(sessionId, title);
    } catch (reason) {
      this._host.set({ banner: `Could not rename the session: ${errorMessage(reason)}` });
      return false;
    }
    await this._refreshLists();
    return true;
  }

  /** Forget the sessions whose notebook was deleted; how many went. */
  async clearOrphanedSessions(): Promise<number> {
    let deleted: string[];
    try {
      deleted = (await this._host.client.deleteOrphanedSessions()).deleted;
    } catch (reason) {
      this._host.set({ banner: `Could not clear the sessions: ${errorMessage(reason)}` });
      return 0;
    }
    const current = this._host.getState().sessionId;
    if (current !== null && deleted.includes(current)) {
      this._host.closeSession();
    }
    await this._refreshLists();
    return deleted.length;
  }

  /** A fresh session for the active notebook. */
  async newSession(): Promise<string | null> {
    let path = this._host.getState().notebookPath;
    const current = this._host.tracker.currentWidget;
    if (!path && current) {
      await current.context.ready; // the notebook is still loading
      path = normalizePath(current.context.localPath);
    }
    if (!path) {
      this._host.set({ banner: 'Open a notebook first: a session works in one notebook.' });
      return null;
    }
    try {
      const kernelId = await kernelIdOf(this._host.tracker, path);
      const created = await this._host.client.createSession(path, kernelId);
      void this.refreshSessions();
      await this._host.openSession(created.id);
      return created.id;
    } catch (reason) {
      this._host.set({ banner: `Could not start a session: ${errorMessage(reason)}` });
      return null;
    }
  }

  async deleteSession(sessionId: string): Promise<void> {
    try {
      await this._host.client.deleteSession(sessionId);
    } catch (reason) {
      this._host.set({ banner: `Could not delete the session: ${errorMessage(reason)}` });
      return;
    }
    if (sessionId === this._host.getState().sessionId) {
      this._host.closeSession();
    }
    await this._refreshLists();
  }

  /** The session list, and the search results if a search is shown. */
  private async _refreshLists(): Promise<void> {
    await Promise.all([this.refreshSessions(), this.searchSessions(this._host.getState().sessionQuery)]);
  }

  /** Only the latest search may show its results (an older one can answer last). */
  private _searchToken = 0;
}
