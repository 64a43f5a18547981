import * as React from 'react';

import { IHealth } from '../api';

/** What to set for each kind of model server; shown when nothing is configured. */
const SETUP_EXAMPLES: ReadonlyArray<{ title: string; lines: string[] }> = [
  {
    title: 'OpenAI',
    lines: ['CODEAGENT_PROVIDER=openai', 'CODEAGENT_MODEL=gpt-4o', 'OPENAI_API_KEY=sk-...']
  },
  {
    title: 'Anthropic',
    lines: [
      'CODEAGENT_PROVIDER=anthropic',
      'CODEAGENT_MODEL=claude-sonnet-4-5',
      'ANTHROPIC_API_KEY=sk-ant-...'
    ]
  },
  {
    title: 'Ollama or any OpenAI-compatible server',
    lines: [
      'CODEAGENT_PROVIDER=openai',
      'CODEAGENT_MODEL=llama3.1',
      'OPENAI_BASE_URL=http://localhost:11434/v1'
    ]
  }
];

export interface IHealthStatusProps {
  health: IHealth | null;
  error: string | null;
  onRetry: () => void;
}

/** The model connection state: provider and model, or how to configure one. */
export function HealthStatus(props: IHealthStatusProps): JSX.Element {
  const { health, error, onRetry } = props;
  if (error !== null) {
    return (
      <div className="jp-CodeAgent-health jp-CodeAgent-health-error" role="alert">
        <p>The Code Agent server extension did not answer: {error}</p>
        <button className="jp-Button jp-mod-styled jp-mod-reject" onClick={onRetry}>
          Retry
        </button>
      </div>
    );
  }
  if (health === null) {
    return <div className="jp-CodeAgent-health jp-CodeAgent-health-loading">Connecting…</div>;
  }
  if (health.ready) {
    return (
      <div className="jp-CodeAgent-health jp-CodeAgent-health-ready" data-ready="true">
        <span className="jp-CodeAgent-health-dot" aria-hidden="true" />
        <span className="jp-CodeAgent-health-provider">{health.provider}</span>
        <span className="jp-CodeAgent-health-model">{health.model}</span>
      </div>
    );
  }
  return (
    <div className="jp-CodeAgent-health jp-CodeAgent-health-setup" data-ready="false">
      <h3>No model is configured yet</h3>
      <p className="jp-CodeAgent-health-reason">{health.reason}</p>
      <p>
        Set these environment variables before starting JupyterLab (or the matching
        <code> c.CodeAgentExtension.*</code> options in <code>jupyter_server_config.py</code>),
        then restart the server:
      </p>
      {SETUP_EXAMPLES.map(example => (
        <div key={example.title} className="jp-CodeAgent-setup-example">
          <div className="jp-CodeAgent-setup-title">{example.title}</div>
          <pre>{example.lines.join('\n')}</pre>
        </div>
      ))}
      <button className="jp-Button jp-mod-styled jp-mod-accept" onClick={onRetry}>
        Check again
      </button>
    </div>
  );
}
