import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './api';
import type { IHealth } from './api';
import type { IUserChoices } from './settings';
import type { IServerSettings, ISessionSnapshot, ISessionSummary, ITimelinePage } from './types';

/** Answer of the undo and revert routes (README, "HTTP API"). */
export interface IUndoAnswer {
  cells: string[];
  restored: string[];
  removed: string[];
  files_restored: string[];
  files_removed: string[];
  notebook: 'removed' | 'kept';
}

function post(body: unknown): RequestInit {
  return { method: 'POST', body: JSON.stringify(body ?? {}) };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Typed calls of the codeagent REST routes (DESIGN.md, public contract). */
export class CodeAgentClient {
  constructor(readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  health(): Promise<IHealth> {
    return requestAPI<IHealth>('health', {}, this.serverSettings);
  }

  /** The sessions, most recently active first; `query` searches titles, notebook
   * paths and the words of the conversations. */
  listSessions(query?: string): Promise<ISessionSummary[]> {
    const search = query?.trim() ? `?q=${encodeURIComponent(query.trim())}` : '';
    return requestAPI<ISessionSummary[]>(`sessions${search}`, {}, this.serverSettings);
  }

  renameSession(id: string, title: string): Promise<ISessionSummary> {
    return requestAPI<ISessionSummary>(
      `sessions/${seg(id)}`,
      { method: 'PATCH', body: JSON.stringify({ title }) },
      this.serverSettings
    );
  }

  /** Forget the sessions of notebooks that no longer exist; their ids. */
  deleteOrphanedSessions(): Promise<{ deleted: string[] }> {
    return requestAPI<{ deleted: string[] }>(
      'sessions?orphaned=1',
      { method: 'DELETE' },
      this.serverSettings
    );
  }

  createSession(notebookPath: string, kernelId?: string | null): Promise<ISessionSnapshot> {
    const body: { notebook_path: string; kernel_id?: string } = { notebook_path: notebookPath };
    if (kernelId) {
      body.kernel_id = kernelId;
    }
    return requestAPI<ISessionSnapshot>('sessions', post(body), this.serverSettings);
  }

  /** The snapshot; with `turns`, only the last `turns` turns (how the sidebar opens). */
  getSession(id: string, turns?: number): Promise<ISessionSnapshot> {
    const query = turns ? `?turns=${turns}` : '';
    return requestAPI<ISessionSnapshot>(`sessions/${seg(id)}${query}`, {}, this.serverSettings);
  }

  /** Timeline events of the turns before event `before` ("Show earlier"). */
  history(id: string, before: number, turns: number): Promise<ITimelinePage> {
    return requestAPI<ITimelinePage>(
      `sessions/${seg(id)}/history?before=${before}&turns=${turns}`,
      {},
      this.serverSettings
    );
  }

  deleteSession(id: string): Promise<unknown> {
    return requestAPI(`sessions/${seg(id)}`, { method: 'DELETE' }, this.serverSettings);
  }

  /** Start a run; `settings` are the user's own choices for it (never the server's). */
  sendMessage(id: string, text: string, settings: IUserChoices = {}): Promise<unknown> {
    return requestAPI(`sessions/${seg(id)}/messages`, post({ text, settings }), this.serverSettings);
  }

  approve(id: string, cellId: string, source?: string): Promise<unknown> {
    const body = source === undefined ? {} : { source };
    return requestAPI(
      `sessions/${seg(id)}/cells/${seg(cellId)}/approve`,
      post(body),
      this.serverSettings
    );
  }

  reject(id: string, cellId: string, reason?: string): Promise<unknown> {
    const body = reason ? { reason } : {};
    return requestAPI(
      `sessions/${seg(id)}/cells/${seg(cellId)}/reject`,
      post(body),
      this.serverSettings
    );
  }

  /** Record in the audit that the user ran the agent cell themselves in the notebook. */
  userRun(id: string, cellId: string, source: string, status: 'ok' | 'error'): Promise<unknown> {
    return requestAPI(
      `sessions/${seg(id)}/cells/${seg(cellId)}/user_run`,
      post({ source, status }),
      this.serverSettings
    );
  }

  /** Tell the session a person removed its agent cell from the notebook (recorded once). */
  cellDeleted(id: string, cellId: string): Promise<{ cell_id: string; recorded: boolean }> {
    return requestAPI(
      `sessions/${seg(id)}/cells/${seg(cellId)}/deleted`,
      post({}),
      this.serverSettings
    );
  }

  /** Put the kernel and files back as before the cell ran (409 says what cannot be). */
  undo(id: string, cellId: string): Promise<IUndoAnswer> {
    return requestAPI<IUndoAnswer>(
      `sessions/${seg(id)}/cells/${seg(cellId)}/undo`,
      post({}),
      this.serverSettings
    );
  }

  /** Undo the last run's cells, newest first, all or nothing. */
  revert(id: string): Promise<IUndoAnswer> {
    return requestAPI<IUndoAnswer>(`sessions/${seg(id)}/revert`, post({}), this.serverSettings);
  }

  answer(id: string, questionId: string, text: string): Promise<unknown> {
    return requestAPI(
      `sessions/${seg(id)}/answer`,
      post({ question_id: questionId, text }),
      this.serverSettings
    );
  }

  stop(id: string): Promise<unknown> {
    return requestAPI(`sessions/${seg(id)}/stop`, post({}), this.serverSettings);
  }

  getSettings(): Promise<IServerSettings> {
    return requestAPI<IServerSettings>('settings', {}, this.serverSettings);
  }

  patchSettings(changes: Partial<IServerSettings>): Promise<IServerSettings> {
    return requestAPI<IServerSettings>(
      'settings',
      { method: 'PATCH', body: JSON.stringify(changes) },
      this.serverSettings
    );
  }
}
