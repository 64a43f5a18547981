import * as React from 'react';

import { CodeAgentApiError, IHealth, requestAPI } from '../api';
import { HealthStatus } from './HealthStatus';

/** The Code Agent side panel: model status first; chat and plan grow here. */
export function Sidebar(): JSX.Element {
  const [health, setHealth] = React.useState<IHealth | null>(null);
  const [error, setError] = React.useState<string | null>(null);

  const loadHealth = React.useCallback(async () => {
    setError(null);
    setHealth(null);
    try {
      setHealth(await requestAPI<IHealth>('health'));
    } catch (reason) {
      setError(reason instanceof CodeAgentApiError ? reason.message : String(reason));
    }
  }, []);

  React.useEffect(() => {
    void loadHealth();
  }, [loadHealth]);

  return (
    <div className="jp-CodeAgent-sidebar">
      <header className="jp-CodeAgent-header">
        <h2>Code Agent</h2>
        {health !== null && <span className="jp-CodeAgent-version">v{health.version}</span>}
      </header>
      <HealthStatus health={health} error={error} onRetry={() => void loadHealth()} />
    </div>
  );
}
