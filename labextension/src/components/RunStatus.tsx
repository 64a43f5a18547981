import * as React from 'react';

import type { ConnectionStatus } from '../connection';
import type { SessionStatus } from '../types';

export interface IRunStatusProps {
  status: SessionStatus;
  connection: ConnectionStatus | 'none';
}

const LABELS: Record<SessionStatus, string> = {
  idle: 'Ready',
  running: 'Working…',
  waiting: 'Waiting for you',
  done: 'Done',
  stopped: 'Stopped',
  failed: 'Failed'
};

/** The run's state, or the connection's while it is not open. */
export function RunStatus(props: IRunStatusProps): JSX.Element {
  if (props.connection === 'reconnecting' || props.connection === 'connecting') {
    return (
      <span className="jp-CodeAgent-pill jp-mod-connection" role="status">
        {props.connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
      </span>
    );
  }
  if (props.connection === 'closed') {
    return <span className="jp-CodeAgent-pill jp-mod-failed">Disconnected</span>;
  }
  return (
    <span className={`jp-CodeAgent-pill jp-mod-${props.status}`} role="status" data-status={props.status}>
      {LABELS[props.status] ?? props.status}
    </span>
  );
}
