/**
 * Keeps the user's attention where it is needed while the panel is out of sight: a
 * badge on the sidebar's icon with the number of things waiting, and a JupyterLab
 * notification when a cell starts waiting, an agent asks, or a run ends.
 */

import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import type { Widget } from '@lumino/widgets';

import type { AgentController } from './controller';
import { AttentionChange, attentionChanges, attentionOf, IAttention, waitingTotal } from './state/attention';

// Lumino writes a title's dataset keys as they are: `data-codeagent-waiting` on the tab.
const BADGE_KEY = 'codeagent-waiting';

export class SidebarAttention implements IDisposable {
  constructor(
    private readonly _sidebar: Widget,
    private readonly _controller: AgentController,
    private readonly _trans: TranslationBundle,
    private readonly _reveal: () => void
  ) {
    this._caption = _sidebar.title.caption;
    this._unsubscribe = _controller.subscribe(() => this._update());
    this._update();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._unsubscribe();
    }
  }

  private _update(): void {
    const state = this._controller.getState();
    const attention = attentionOf(state.view);
    this._showBadge(waitingTotal(attention));
    const sameSession = state.sessionId !== null && state.sessionId === this._sessionId && !state.loading;
    if (sameSession && this._last !== null && !this._sidebar.isVisible) {
      for (const change of attentionChanges(this._last, attention)) {
        this._notify(change);
      }
    }
    this._sessionId = state.loading ? null : state.sessionId;
    this._last = attention;
  }

  private _showBadge(total: number): void {
    const title = this._sidebar.title;
    const current = title.dataset[BADGE_KEY];
    const wanted = total > 0 ? String(total) : undefined;
    if (current === wanted) {
      return;
    }
    const dataset: Record<string, string> = { ...title.dataset };
    delete dataset[BADGE_KEY];
    if (wanted !== undefined) {
      dataset[BADGE_KEY] = wanted;
    }
    title.dataset = dataset; // the shell keeps its own `id` in it
    title.caption =
      total > 0 ? this._trans._n('%2 — %1 item waits for you', '%2 — %1 items wait for you', total, this._caption) : this._caption;
  }

  private _notify(change: AttentionChange): void {
    const trans = this._trans;
    const actions = [{ label: trans.__('Show'), callback: () => this._reveal(), displayType: 'accent' as const }];
    if (this._notification !== null) {
      Notification.dismiss(this._notification);
    }
    switch (change.kind) {
      case 'cells_waiting':
        this._notification = Notification.warning(
          trans._n(
            'Code Agent: a cell waits for your approval.',
            'Code Agent: %1 cells wait for your approval.',
            change.cellIds.length
          ),
          { autoClose: false, actions }
        );
        break;
      case 'question':
        this._notification = Notification.warning(trans.__('Code Agent: an agent asks you a question.'), {
          autoClose: false,
          actions
        });
        break;
      case 'run_finished': {
        const messages: Record<string, string> = {
          done: trans.__('Code Agent: the run is done.'),
          stopped: trans.__('Code Agent: the run stopped.'),
          failed: trans.__('Code Agent: the run failed.')
        };
        const text = messages[change.status] ?? messages.done;
        this._notification =
          change.status === 'failed'
            ? Notification.error(text, { autoClose: 8000, actions })
            : Notification.success(text, { autoClose: 8000, actions });
        break;
      }
    }
  }

  private readonly _caption: string;
  private readonly _unsubscribe: () => void;
  private _last: IAttention | null = null;
  private _sessionId: string | null = null;
  private _notification: string | null = null;
  private _disposed = false;
}
