import * as React from 'react';

import type { ISessionSummary } from '../types';
import { useServices } from '../uiContext';

export interface ISessionPickerProps {
  sessions: readonly ISessionSummary[];
  sessionId: string | null;
  notebookPath: string | null;
}

function label(session: ISessionSummary): string {
  const when = new Date(session.updated * 1000).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
  return `${session.title || 'New session'} · ${session.notebook_path} · ${when}`;
}

/** Reopen an earlier session (this notebook's first), or start a new one. */
export const SessionPicker = React.memo(function SessionPicker(props: ISessionPickerProps): JSX.Element {
  const { controller } = useServices();
  const { sessions, sessionId, notebookPath } = props;
  const mine = sessions.filter(session => session.notebook_path === notebookPath);
  const others = sessions.filter(session => session.notebook_path !== notebookPath);
  return (
    <div className="jp-CodeAgent-sessions">
      <select
        className="jp-mod-styled jp-CodeAgent-session-select"
        aria-label="Session"
        value={sessionId ?? ''}
        onFocus={() => void controller.refreshSessions()}
        onChange={event => {
          if (event.target.value) {
            void controller.openSession(event.target.value);
          }
        }}
      >
        {sessionId === null && <option value="">New session{notebookPath ? ` · ${notebookPath}` : ''}</option>}
        {mine.length > 0 && (
          <optgroup label="This notebook">
            {mine.map(session => (
              <option key={session.id} value={session.id}>
                {label(session)}
              </option>
            ))}
          </optgroup>
        )}
        {others.length > 0 && (
          <optgroup label="Other notebooks">
            {others.map(session => (
              <option key={session.id} value={session.id}>
                {label(session)}
              </option>
            ))}
          </optgroup>
        )}
      </select>
      <button
        className="jp-Button jp-mod-styled jp-CodeAgent-new-session"
        onClick={() => void controller.newSession()}
        disabled={notebookPath === null}
        title="Start a new session for the active notebook"
      >
        New
      </button>
    </div>
  );
});
