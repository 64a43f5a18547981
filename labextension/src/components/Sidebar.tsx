import * as React from 'react';

import { isActive } from '../state/viewState';
import { useServices } from '../uiContext';
import { ChatView } from './ChatView';
import { Composer } from './Composer';
import { DataObjects } from './DataObjects';
import { ErrorBanner } from './ErrorBanner';
import { HealthStatus } from './HealthStatus';
import { PlanView } from './PlanView';
import { RunStatus } from './RunStatus';
import { SessionPicker } from './SessionPicker';
import { UsageBar } from './UsageBar';

/** The Code Agent side panel: model status, session, plan, chat, data objects, usage. */
export function Sidebar(): JSX.Element {
  const { controller } = useServices();
  const state = React.useSyncExternalStore(controller.subscribe, controller.getState);
  const { health, healthError, view } = state;
  const ready = health !== null && health.ready;
  const active = isActive(view.status);

  const empty = (
    <div className="jp-CodeAgent-empty">
      {state.loading ? (
        <p>Loading the session…</p>
      ) : state.notebookPath === null && state.sessionId === null ? (
        <p>Open a notebook: the agents work in the notebook that is active.</p>
      ) : (
        <>
          <p>
            Ask for an analysis of <strong>{state.sessionPath ?? state.notebookPath}</strong>. The planner
            splits it into tasks, the coder proposes cells, the reviewer checks them, and nothing runs
            before you approve it.
          </p>
          <p className="jp-CodeAgent-hint">
            Mention a data object with <code>@name</code>; right-click a cell for “Explain this cell”.
          </p>
        </>
      )}
    </div>
  );

  return (
    <div className="jp-CodeAgent-sidebar">
      <header className="jp-CodeAgent-header">
        <h2>Code Agent</h2>
        {health !== null && <span className="jp-CodeAgent-version">v{health.version}</span>}
        <span className="jp-CodeAgent-spacer" />
        {ready && state.sessionId !== null && <RunStatus status={view.status} connection={state.connection} />}
      </header>
      <HealthStatus health={health} error={healthError} onRetry={() => void controller.refreshHealth()} />
      {ready && (
        <>
          <SessionPicker
            sessions={state.sessions}
            sessionId={state.sessionId}
            notebookPath={state.notebookPath}
          />
          {state.banner !== null && (
            <ErrorBanner message={state.banner} onDismiss={() => controller.dismissBanner()} />
          )}
          {state.sessionId !== null && !state.attached && !state.loading && (
            <div className="jp-CodeAgent-detached" role="note">
              {state.sessionPath} is not open here: agent cells are written to the file.
            </div>
          )}
          <PlanView tasks={view.plan} />
          <ChatView
            timeline={view.timeline}
            cells={view.cells}
            questions={view.questions}
            empty={empty}
            hasEarlier={state.hasEarlier}
            loadingEarlier={state.loadingEarlier}
            onShowEarlier={() => void controller.loadEarlier()}
          />
          <DataObjects variables={view.variables} />
          <UsageBar usage={view.usage} />
          <Composer
            text={state.composer}
            attachment={state.attachment}
            active={active}
            sending={state.sending}
            notebookPath={state.sessionPath ?? state.notebookPath}
          />
        </>
      )}
    </div>
  );
}
