import { Clipboard } from '@jupyterlab/apputils';
import * as React from 'react';

import { IHealth } from '../api';
import { useServices, useTrans } from '../uiContext';

/** What to set for each kind of model server; one shown at a time. */
const SETUP_EXAMPLES: ReadonlyArray<{ id: string; title: string; lines: string[] }> = [
  {
    id: 'openai',
    title: 'OpenAI',
    lines: ['CODEAGENT_PROVIDER=openai', 'CODEAGENT_MODEL=gpt-4o', 'OPENAI_API_KEY=sk-...']
  },
  {
    id: 'anthropic',
    title: 'Anthropic',
    lines: ['CODEAGENT_PROVIDER=anthropic', 'CODEAGENT_MODEL=claude-sonnet-4-5', 'ANTHROPIC_API_KEY=sk-ant-...']
  },
  {
    id: 'local',
    title: 'Ollama',
    lines: ['CODEAGENT_PROVIDER=openai', 'CODEAGENT_MODEL=llama3.1', 'OPENAI_BASE_URL=http://localhost:11434/v1']
  }
];

export interface IHealthStatusProps {
  health: IHealth | null;
  error: string | null;
  onRetry: () => void;
}

/** The model connection state: provider and model, or a compact card on how to set one up. */
export function HealthStatus(props: IHealthStatusProps): JSX.Element {
  const { health, error, onRetry } = props;
  const trans = useTrans();
  if (error !== null) {
    return (
      <div className="jp-CodeAgent-health jp-CodeAgent-health-error" role="alert">
        <p>{trans.__('The Code Agent server extension did not answer: %1', error)}</p>
        <button className="jp-Button jp-mod-styled jp-mod-reject" onClick={onRetry}>
          {trans.__('Retry')}
        </button>
      </div>
    );
  }
  if (health === null) {
    return <div className="jp-CodeAgent-health jp-CodeAgent-health-loading">{trans.__('Connecting…')}</div>;
  }
  if (health.ready) {
    const sandbox = health.sandbox;
    return (
      <div className="jp-CodeAgent-health jp-CodeAgent-health-ready" data-ready="true">
        <span className="jp-CodeAgent-health-dot" aria-hidden="true" />
        <span className="jp-CodeAgent-health-provider">{health.provider}</span>
        <span className="jp-CodeAgent-health-model">{health.model}</span>
        {sandbox && (
          <span
            className={`jp-CodeAgent-health-sandbox ${sandbox.active ? 'jp-mod-active' : 'jp-mod-inactive'}`}
            data-sandboxed={sandbox.active ? 'true' : 'false'}
            title={
              sandbox.active
                ? trans.__('Kernels run in a sandbox: the root folder only, no network.')
                : trans.__(
                    'Kernels are not sandboxed (%1): every cell waits for your approval, whatever the policy.',
                    sandbox.reason ?? trans.__('sandbox off')
                  )
            }
          >
            {sandbox.active ? trans.__('sandboxed') : trans.__('not sandboxed')}
          </span>
        )}
      </div>
    );
  }
  return <SetupCard reason={health.reason ?? null} onRetry={onRetry} />;
}

function SetupCard(props: { reason: string | null; onRetry: () => void }): JSX.Element {
  const { openSettings } = useServices();
  const trans = useTrans();
  const [chosen, setChosen] = React.useState(SETUP_EXAMPLES[0].id);
  const [copied, setCopied] = React.useState(false);
  const example = SETUP_EXAMPLES.find(item => item.id === chosen) ?? SETUP_EXAMPLES[0];
  const text = example.lines.join('\n');
  const copy = () => {
    Clipboard.copyToSystem(text);
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div className="jp-CodeAgent-health jp-CodeAgent-health-setup" data-ready="false">
      <h3>{trans.__('No model is configured yet')}</h3>
      {props.reason && <p className="jp-CodeAgent-health-reason">{props.reason}</p>}
      <p>{trans.__('Set these environment variables, then restart JupyterLab:')}</p>
      <div className="jp-CodeAgent-setup-tabs" role="radiogroup" aria-label={trans.__('Model server')}>
        {SETUP_EXAMPLES.map(item => (
          <button
            key={item.id}
            role="radio"
            aria-checked={item.id === chosen}
            className={`jp-CodeAgent-setup-tab ${item.id === chosen ? 'jp-mod-active' : ''}`}
            onClick={() => {
              setChosen(item.id);
              setCopied(false);
            }}
          >
            {item.title}
          </button>
        ))}
      </div>
      <div className="jp-CodeAgent-setup-example">
        <pre>{text}</pre>
        <button
          className="jp-Button jp-mod-styled jp-CodeAgent-copy"
          onClick={copy}
          aria-label={trans.__('Copy the %1 settings', example.title)}
        >
          {copied ? trans.__('Copied') : trans.__('Copy')}
        </button>
      </div>
      <p className="jp-CodeAgent-hint">
        {trans.__('Any OpenAI-compatible server (vLLM, LM Studio, Azure) works like Ollama.')}{' '}
        {trans.__('Keys stay in the server’s environment; provider and model can also be chosen in the')}{' '}
        {openSettings ? (
          <button className="jp-CodeAgent-link jp-CodeAgent-open-settings" onClick={openSettings}>
            {trans.__('Settings Editor')}
          </button>
        ) : (
          trans.__('Settings Editor')
        )}
        .
      </p>
      <button className="jp-Button jp-mod-styled jp-mod-accept" onClick={props.onRetry}>
        {trans.__('Check again')}
      </button>
    </div>
  );
}
