import { Time } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, deleteIcon, editIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ISessionSummary } from '../types';
import { useServices, useTrans } from '../uiContext';

export interface ISessionPickerProps {
  sessions: readonly ISessionSummary[];
  sessionId: string | null;
  notebookPath: string | null;
}

/** Milliseconds of typing before the list asks the server to search. */
const SEARCH_DELAY = 200;

function statusLabel(trans: TranslationBundle, status: string): string | null {
  switch (status) {
    case 'running':
      return trans.__('running');
    case 'waiting':
      return trans.__('waiting for you');
    case 'done':
      return trans.__('done');
    case 'stopped':
      return trans.__('stopped');
    case 'failed':
      return trans.__('failed');
    default:
      return null;
  }
}

function titleOf(trans: TranslationBundle, session: ISessionSummary): string {
  return session.title?.trim() || trans.__('Untitled session');
}

/**
 * The session list: this notebook's sessions first, then the others, each with its
 * title, notebook, last activity and status; search (titles, notebooks and the words of
 * the conversations), rename, delete, and clearing the sessions of deleted notebooks.
 * Keyboard: Enter or ↓ on the toggle opens it, ↑/↓ move between sessions, Enter opens
 * one, Escape closes the list and gives focus back to the toggle.
 */
export const SessionPicker = React.memo(function SessionPicker(props: ISessionPickerProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const { sessions, sessionId, notebookPath } = props;
  const state = React.useSyncExternalStore(controller.subscribe, controller.getState);
  const [open, setOpen] = React.useState(false);
  const [query, setQuery] = React.useState(state.sessionQuery);
  const root = React.useRef<HTMLDivElement>(null);
  const toggle = React.useRef<HTMLButtonElement>(null);
  const search = React.useRef<HTMLInputElement>(null);
  const listId = React.useId();

  const current = sessions.find(session => session.id === sessionId) ?? null;
  const shown = state.sessionResults ?? sessions;
  const mine = shown.filter(session => session.notebook_path === notebookPath);
  const others = shown.filter(session => session.notebook_path !== notebookPath);
  const orphaned = sessions.filter(session => session.notebook_exists === false).length;

  const close = React.useCallback((focusToggle: boolean) => {
    setOpen(false);
    if (focusToggle) {
      toggle.current?.focus();
    }
  }, []);

  React.useEffect(() => {
    if (!open) {
      return;
    }
    void controller.refreshSessions();
    search.current?.focus();
    const onPointer = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', onPointer);
    return () => document.removeEventListener('mousedown', onPointer);
  }, [open, controller]);

  React.useEffect(() => {
    if (query === state.sessionQuery) {
      return;
    }
    const timer = window.setTimeout(() => void controller.searchSessions(query), SEARCH_DELAY);
    return () => window.clearTimeout(timer);
  }, [query, state.sessionQuery, controller]);

  /** ↑/↓ move between the sessions' open buttons (and from the search box into them). */
  const onListKey = (event: React.KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
      return;
    }
    const buttons = Array.from(
      root.current?.querySelectorAll<HTMLButtonElement>('.jp-CodeAgent-session-open') ?? []
    );
    if (buttons.length === 0) {
      return;
    }
    event.preventDefault();
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at === -1) {
      buttons[event.key === 'ArrowDown' ? 0 : buttons.length - 1].focus();
    } else if (event.key === 'ArrowUp' && at === 0) {
      search.current?.focus();
    } else {
      buttons[Math.min(buttons.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))].focus();
    }
  };

  const pick = (id: string) => {
    close(true);
    if (id !== sessionId) {
      void controller.openSession(id);
    }
  };

  const group = (label: string, items: readonly ISessionSummary[]) =>
    items.length > 0 && (
      <li className="jp-CodeAgent-sessions-group" role="presentation">
        <span className="jp-CodeAgent-sessions-group-label" aria-hidden="true">
          {label}
        </span>
        <ul aria-label={label} className="jp-CodeAgent-sessions-items">
          {items.map(session => (
            <SessionRow
              key={session.id}
              session={session}
              current={session.id === sessionId}
              onPick={pick}
            />
          ))}
        </ul>
      </li>
    );

  return (
    <div className="jp-CodeAgent-sessions" ref={root}>
      <button
        ref={toggle}
        className="jp-CodeAgent-sessions-toggle"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        title={trans.__('Sessions: switch, search, rename or delete')}
        onClick={() => setOpen(!open)}
        onKeyDown={event => {
          if (event.key === 'ArrowDown' && !open) {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span className="jp-CodeAgent-sessions-current">
          <span className="jp-CodeAgent-sessions-current-title">
            {current ? titleOf(trans, current) : trans.__('New session')}
          </span>
          <span className="jp-CodeAgent-sessions-current-path">
            {current?.notebook_path ?? notebookPath ?? ''}
          </span>
        </span>
        <caretDownIcon.react tag="span" className="jp-CodeAgent-sessions-caret" />
      </button>
      <button
        className="jp-Button jp-mod-styled jp-CodeAgent-new-session"
        onClick={() => void controller.newSession()}
        disabled={notebookPath === null}
        title={trans.__('Start a new session for the active notebook')}
      >
        {trans.__('New')}
      </button>
      {open && (
        <div
          id={listId}
          className="jp-CodeAgent-sessions-popover"
          role="dialog"
          aria-label={trans.__('Sessions')}
          onKeyDown={onListKey}
        >
          <input
            ref={search}
            type="search"
            className="jp-mod-styled jp-CodeAgent-sessions-search"
            placeholder={trans.__('Search titles, notebooks and messages')}
            aria-label={trans.__('Search the sessions')}
            value={query}
            onChange={event => setQuery(event.target.value)}
          />
          {shown.length === 0 ? (
            <p className="jp-CodeAgent-sessions-none" role="status">
              {state.sessionResults !== null
                ? trans.__('No session matches “%1”.', state.sessionQuery)
                : trans.__('No sessions yet: send a message to start one.')}
            </p>
          ) : (
            <ul className="jp-CodeAgent-sessions-list" aria-label={trans.__('Sessions')}>
              {group(trans.__('This notebook'), mine)}
              {group(trans.__('Other notebooks'), others)}
            </ul>
          )}
          {orphaned > 0 && <ClearOrphaned count={orphaned} />}
        </div>
      )}
    </div>
  );
});

interface ISessionRowProps {
  session: ISessionSummary;
  current: boolean;
  onPick: (id: string) => void;
}

/** One session: open it, or rename / delete it in place. */
function SessionRow(props: ISessionRowProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const { session, current, onPick } = props;
  const [mode, setMode] = React.useState<'show' | 'rename' | 'delete'>('show');
  const [title, setTitle] = React.useState(session.title ?? '');
  const openButton = React.useRef<HTMLButtonElement>(null);
  const when = new Date(session.updated * 1000);
  const status = statusLabel(trans, session.status);
  const name = titleOf(trans, session);

  /** Set when the title editor closes: Enter, then the blur of the editor going away. */
  const closing = React.useRef(false);
  /** The row takes the focus back once it shows again (after the editor is gone). */
  const refocus = React.useRef(false);

  React.useEffect(() => {
    if (mode !== 'show' || !refocus.current) {
      return;
    }
    refocus.current = false;
    // Unless the user has put the focus somewhere else meanwhile (a rename waits for
    // the server): taking it back would send their keys here.
    const active = document.activeElement;
    if (!active || active === document.body) {
      openButton.current?.focus();
    }
  }, [mode]);

  const back = () => {
    refocus.current = true;
    setMode('show');
  };
  const startRename = () => {
    closing.current = false;
    setTitle(session.title ?? '');
    setMode('rename');
  };
  const rename = async () => {
    if (closing.current) {
      return;
    }
    closing.current = true;
    const wanted = title.trim();
    try {
      if (wanted && wanted !== session.title) {
        await controller.renameSession(session.id, wanted);
      }
    } finally {
      back();
    }
  };
  /** Escape leaves the editor, not the whole list. */
  const stay = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      back();
    }
  };

  if (mode === 'rename') {
    return (
      <li className="jp-CodeAgent-session jp-mod-editing" data-session-id={session.id}>
        <input
          className="jp-mod-styled jp-CodeAgent-session-title-input"
          aria-label={trans.__('New title of “%1”', name)}
          value={title}
          maxLength={200}
          autoFocus
          onChange={event => setTitle(event.target.value)}
          onKeyDown={event => {
            stay(event);
            if (event.key === 'Enter') {
              event.preventDefault();
              void rename();
            }
          }}
          onBlur={() => void rename()}
        />
      </li>
    );
  }
  if (mode === 'delete') {
    return (
      <li className="jp-CodeAgent-session jp-mod-confirm" data-session-id={session.id} onKeyDown={stay}>
        <span className="jp-CodeAgent-session-confirm-text">
          {trans.__('Delete “%1” and its history?', name)}
        </span>
        <button
          className="jp-Button jp-mod-styled jp-mod-warn jp-CodeAgent-session-confirm-delete"
          onClick={() => void controller.deleteSession(session.id)}
        >
          {trans.__('Delete')}
        </button>
        <button className="jp-Button jp-mod-styled" autoFocus onClick={back}>
          {trans.__('Cancel')}
        </button>
      </li>
    );
  }
  return (
    <li
      className={`jp-CodeAgent-session${current ? ' jp-mod-current' : ''}`}
      data-session-id={session.id}
      data-status={session.status}
    >
      <button
        ref={openButton}
        className="jp-CodeAgent-session-open"
        aria-current={current ? 'true' : undefined}
        onClick={() => onPick(session.id)}
        onKeyDown={event => {
          if (event.key === 'F2') {
            event.preventDefault();
            startRename();
          } else if (event.key === 'Delete') {
            event.preventDefault();
            setMode('delete');
          }
        }}
      >
        <span className="jp-CodeAgent-session-title">{name}</span>
        <span className="jp-CodeAgent-session-meta">
          <span className="jp-CodeAgent-session-path">{session.notebook_path}</span>
          <time dateTime={when.toISOString()} title={Time.format(when)}>
            {Time.formatHuman(when)}
          </time>
          {status !== null && <span className="jp-CodeAgent-session-status">{status}</span>}
          {session.notebook_exists === false && (
            <span className="jp-CodeAgent-session-orphan">{trans.__('notebook deleted')}</span>
          )}
        </span>
        {session.match && <span className="jp-CodeAgent-session-match">{session.match}</span>}
      </button>
      <button
        className="jp-CodeAgent-session-action jp-CodeAgent-session-rename"
        aria-label={trans.__('Rename “%1”', name)}
        title={trans.__('Rename (F2)')}
        onClick={startRename}
      >
        <editIcon.react tag="span" />
      </button>
      <button
        className="jp-CodeAgent-session-action jp-CodeAgent-session-delete"
        aria-label={trans.__('Delete “%1”', name)}
        title={trans.__('Delete (Del)')}
        onClick={() => setMode('delete')}
      >
        <deleteIcon.react tag="span" />
      </button>
    </li>
  );
}

/** "Clear the sessions of deleted notebooks", with a confirmation. */
function ClearOrphaned(props: { count: number }): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const [confirming, setConfirming] = React.useState(false);
  if (!confirming) {
    return (
      <button className="jp-Button jp-mod-styled jp-CodeAgent-sessions-clear" onClick={() => setConfirming(true)}>
        {trans._n(
          'Clear %1 session of a deleted notebook',
          'Clear %1 sessions of deleted notebooks',
          props.count
        )}
      </button>
    );
  }
  return (
    <div className="jp-CodeAgent-sessions-clear-confirm" role="group">
      <span>
        {trans._n(
          'Delete %1 session whose notebook no longer exists?',
          'Delete %1 sessions whose notebooks no longer exist?',
          props.count
        )}
      </span>
      <button
        className="jp-Button jp-mod-styled jp-mod-warn jp-CodeAgent-sessions-clear-yes"
        onClick={() => {
          setConfirming(false);
          void controller.clearOrphanedSessions();
        }}
      >
        {trans.__('Delete')}
      </button>
      <button className="jp-Button jp-mod-styled" autoFocus onClick={() => setConfirming(false)}>
        {trans.__('Cancel')}
      </button>
    </div>
  );
}
