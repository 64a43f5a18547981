import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './api';
import type { IHealth } from './api';
import type { IServerSettings, ISessionSnapshot, ISessionSummary } from './types';

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

  listSessions(): Promise<ISessionSummary[]> {
    return requestAPI<ISessionSummary[]>('sessions', {}, this.serverSettings);
  }

  createSession(notebookPath: string, kernelId?: string | null): Promise<ISessionSnapshot> {
    const body: { notebook_path: string; kernel_id?: string } = { notebook_path: notebookPath };
    if (kernelId) {
      body.kernel_id = kernelId;
    }
    return requestAPI<ISessionSnapshot>('sessions', post(body), this.serverSettings);
  }

  getSession(id: string): Promise<ISessionSnapshot> {
    return requestAPI<ISessionSnapshot>(`sessions/${seg(id)}`, {}, this.serverSettings);
  }

  deleteSession(id: string): Promise<unknown> {
    return requestAPI(`sessions/${seg(id)}`, { method: 'DELETE' }, this.serverSettings);
  }

  sendMessage(id: string, text: string): Promise<unknown> {
    return requestAPI(`sessions/${seg(id)}/messages`, post({ text }), this.serverSettings);
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
