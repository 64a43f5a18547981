import * as React from 'react';

import { isActive, pendingCells } from '../state/viewState';
import { useServices, useTrans } from '../uiContext';
import { ChatView } from './ChatView';
import { Composer } from './Composer';
import { DataObjects } from './DataObjects';
import { EmptyState } from './EmptyState';
import { ErrorBanner } from './ErrorBanner';
import { HealthStatus } from './HealthStatus';
import { PlanView } from './PlanView';
import { RunStatus } from './RunStatus';
import { SessionPicker } from './SessionPicker';
import { UsageBar } from './UsageBar';

/** The Code Agent side panel: model status, session, plan, chat, data objects, usage. */
export function Sidebar(): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const state = React.useSyncExternalStore(controller.subscribe, controller.getState);
  const { health, healthError, view } = state;
  const ready = health !== null && health.ready;
  const active = isActive(view.status);

  const waiting = React.useMemo(() => pendingCells(view), [view.cells, view.cellOrder]);
  const empty = <EmptyState loading={state.loading} notebookPath={state.sessionPath ?? state.notebookPath} />;

  return (
    <div className="jp-CodeAgent-sidebar">
      <header className="jp-CodeAgent-header">
        <h2>{trans.__('Code Agent')}</h2>
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
              {trans.__('%1 is not open here: agent cells are written to the file.', state.sessionPath ?? '')}
            </div>
          )}
          <PlanView tasks={view.plan} cells={view.cells} />
          <ChatView
            timeline={view.timeline}
            cells={view.cells}
            questions={view.questions}
            plan={view.plan}
            waiting={waiting}
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
