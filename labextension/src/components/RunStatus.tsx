import * as React from 'react';

import type { ConnectionStatus } from '../connection';
import type { SessionStatus } from '../types';
import { useTrans } from '../uiContext';

export interface IRunStatusProps {
  status: SessionStatus;
  connection: ConnectionStatus | 'none';
}

/** The run's state, or the connection's while it is not open. */
export function RunStatus(props: IRunStatusProps): JSX.Element {
  const trans = useTrans();
  if (props.connection === 'reconnecting' || props.connection === 'connecting') {
    return (
      <span className="jp-CodeAgent-pill jp-mod-connection" role="status">
        {props.connection === 'connecting' ? trans.__('Connecting…') : trans.__('Reconnecting…')}
      </span>
    );
  }
  if (props.connection === 'closed') {
    return <span className="jp-CodeAgent-pill jp-mod-failed">{trans.__('Disconnected')}</span>;
  }
  const labels: Record<SessionStatus, string> = {
    idle: trans.__('Ready'),
    running: trans.__('Working…'),
    waiting: trans.__('Waiting for you'),
    done: trans.__('Done'),
    stopped: trans.__('Stopped'),
    failed: trans.__('Failed')
  };
  return (
    <span className={`jp-CodeAgent-pill jp-mod-${props.status}`} role="status" data-status={props.status}>
      {labels[props.status] ?? props.status}
    </span>
  );
}
