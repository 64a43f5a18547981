import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';

import type { INotebookAck, NotebookOp, SessionEvent } from './types';

/** Applies the server's live cell operations to the open notebook. */
export interface INotebookOpApplier {
  apply(op: NotebookOp): Promise<INotebookAck>;
}

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ISessionConnectionOptions {
  sessionId: string;
  serverSettings: ServerConnection.ISettings;
  /** Start after this seq (0 replays the whole session). */
  after: number;
  applier: INotebookOpApplier;
  /** Events, in seq order, batched per animation frame. */
  onEvents: (events: SessionEvent[]) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** Asked after a failed connection: false stops reconnecting (e.g. the session is gone). */
  shouldReconnect?: () => Promise<boolean>;
  /**
   * Asked before every attach: brings the open notebook up to date with its file and
   * answers the session's agent cells it has, which the server reconciles.
   */
  attachCells?: () => Promise<unknown[] | null>;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const MAX_BACKOFF_MS = 10_000;
/** Events are delivered at the next frame, or after this long when frames are paused. */
const FLUSH_FALLBACK_MS = 100;

interface INotebookOpMessage {
  type: 'notebook_op';
  request_id: string;
  op: NotebookOp;
}

/**
 * The events WebSocket of one session: replays from `?after=lastSeq` on every
 * (re)connection with backoff, so nothing is lost or repeated; carries the live
 * notebook channel (attach / notebook_op / notebook_ack).
 */
export class SessionConnection implements IDisposable {
  constructor(options: ISessionConnectionOptions) {
    this._options = options;
    this._lastSeq = options.after;
    this._connect();
  }

  get sessionId(): string {
    return this._options.sessionId;
  }

  /** The highest seq received (the replay point of the next reconnection). */
  get lastSeq(): number {
    return this._lastSeq;
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Whether this JupyterLab has the session's notebook open (ops are applied live). */
  setAttached(attached: boolean): void {
    if (this._attached === attached) {
      return;
    }
    this._attached = attached;
    if (attached) {
      void this._sendAttach();
    } else {
      this._sendJSON({ type: 'detach' });
    }
  }

  /** Drop the socket and connect again now (after a network change, for instance). */
  reconnect(): void {
    if (this._disposed) {
      return;
    }
    this._clearRetry();
    this._closeSocket();
    this._connect();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearRetry();
    if (this._flushFrame !== null) {
      cancelAnimationFrame(this._flushFrame);
    }
    if (this._flushTimer !== null) {
      clearTimeout(this._flushTimer);
    }
    this._closeSocket();
    this._setStatus('closed');
  }

  private _connect(): void {
    const { serverSettings, sessionId } = this._options;
    let url =
      URLExt.join(serverSettings.wsUrl, 'codeagent', 'sessions', encodeURIComponent(sessionId), 'events') +
      `?after=${this._lastSeq}`;
    if (serverSettings.appendToken && serverSettings.token) {
      url += `&token=${encodeURIComponent(serverSettings.token)}`;
    }
    this._setStatus(this._attempt === 0 ? 'connecting' : 'reconnecting');
    let socket: WebSocket;
    try {
      socket = new serverSettings.WebSocket(url);
    } catch {
      this._scheduleRetry();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      if (socket !== this._socket) {
        return;
      }
      this._attempt = 0;
      this._setStatus('open');
      if (this._attached) {
        void this._sendAttach();
      }
    };
    socket.onmessage = message => {
      if (socket === this._socket) {
        this._onMessage(message.data);
      }
    };
    socket.onclose = () => {
      if (socket !== this._socket) {
        return;
      }
      this._socket = null;
      if (!this._disposed) {
        this._scheduleRetry();
      }
    };
    socket.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }

  private async _sendAttach(): Promise<void> {
    let cells: unknown[] | null = null;
    try {
      cells = (await this._options.attachCells?.()) ?? null;
    } catch (error) {
      console.warn('jupyter-codeagent: cannot report the notebook\'s agent cells', error);
    }
    if (this._attached) {
      this._sendJSON(cells ? { type: 'attach', cells } : { type: 'attach' });
    }
  }

  private _onMessage(data: unknown): void {
    if (typeof data !== 'string') {
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof body !== 'object' || body === null) {
      return;
    }
    const record = body as { seq?: unknown; type?: unknown };
    if (typeof record.seq === 'number') {
      if (record.seq <= this._lastSeq) {
        return; // already seen (a replay overlapping what arrived before a drop)
      }
      this._lastSeq = record.seq;
      this._pending.push(body as SessionEvent);
      this._scheduleFlush();
    } else if (record.type === 'notebook_op') {
      void this._applyOp(body as INotebookOpMessage);
    }
  }

  private async _applyOp(message: INotebookOpMessage): Promise<void> {
    let ack: INotebookAck;
    try {
      ack = await this._options.applier.apply(message.op);
    } catch (error) {
      ack = { ok: false, code: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    this._sendJSON({ type: 'notebook_ack', request_id: message.request_id, ...ack });
  }

  private _scheduleFlush(): void {
    if (this._flushFrame !== null || this._flushTimer !== null) {
      return;
    }
    const flush = () => {
      if (this._flushFrame !== null) {
        cancelAnimationFrame(this._flushFrame);
      }
      if (this._flushTimer !== null) {
        clearTimeout(this._flushTimer);
      }
      this._flushFrame = null;
      this._flushTimer = null;
      const events = this._pending;
      this._pending = [];
      if (events.length > 0 && !this._disposed) {
        this._options.onEvents(events);
      }
    };
    this._flushFrame = requestAnimationFrame(flush);
    this._flushTimer = setTimeout(flush, FLUSH_FALLBACK_MS);
  }

  private _scheduleRetry(): void {
    if (this._disposed || this._retryTimer !== null) {
      return;
    }
    const base = BACKOFF_MS[Math.min(this._attempt, BACKOFF_MS.length - 1)];
    const delay = Math.min(MAX_BACKOFF_MS, base * (0.8 + Math.random() * 0.4));
    this._attempt++;
    this._setStatus('reconnecting');
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      void this._retry();
    }, delay);
  }

  private async _retry(): Promise<void> {
    if (this._disposed) {
      return;
    }
    const check = this._options.shouldReconnect;
    if (check && this._attempt > 1) {
      let again = true;
      try {
        again = await check();
      } catch {
        again = true; // the server is unreachable too: keep trying
      }
      if (!again) {
        this._setStatus('closed');
        return;
      }
      if (this._disposed) {
        return;
      }
    }
    this._connect();
  }

  private _sendJSON(body: unknown): void {
    const socket = this._socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(body));
    }
  }

  private _closeSocket(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    }
  }

  private _clearRetry(): void {
    if (this._retryTimer !== null) {
      clearTimeout(this._retryTimer);
      this._retryTimer = null;
    }
  }

  private _setStatus(status: ConnectionStatus): void {
    if (this._status !== status) {
      this._status = status;
      this._options.onStatus(status);
    }
  }

  private readonly _options: ISessionConnectionOptions;
  private _socket: WebSocket | null = null;
  private _lastSeq: number;
  private _attempt = 0;
  private _attached = false;
  private _disposed = false;
  private _status: ConnectionStatus = 'connecting';
  private _retryTimer: ReturnType<typeof setTimeout> | null = null;
  private _flushFrame: number | null = null;
  private _flushTimer: ReturnType<typeof setTimeout> | null = null;
  private _pending: SessionEvent[] = [];
}
