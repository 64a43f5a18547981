import * as React from 'react';

import type { ICellAttachment } from '../notebook/cellContext';
import { useServices, useTrans } from '../uiContext';

export interface IComposerProps {
  text: string;
  attachment: ICellAttachment | null;
  active: boolean;
  sending: boolean;
  notebookPath: string | null;
}

const MAX_ROWS = 10;

/** The message box: Enter sends, Shift+Enter adds a line; Stop while a run is active. */
export const Composer = React.memo(function Composer(props: IComposerProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const input = React.useRef<HTMLTextAreaElement>(null);
  const { text, attachment, active, sending, notebookPath } = props;

  React.useEffect(() => {
    const focus = () => input.current?.focus();
    const insert = (_: unknown, snippet: string) => {
      const node = input.current;
      const current = controller.getState().composer;
      const start = node?.selectionStart ?? current.length;
      const end = node?.selectionEnd ?? current.length;
      const before = current.slice(0, start);
      const spaced = (before && !/\s$/.test(before) ? ' ' : '') + snippet + ' ';
      controller.setComposer(before + spaced + current.slice(end));
      requestAnimationFrame(() => {
        if (node) {
          node.focus();
          const caret = before.length + spaced.length;
          node.setSelectionRange(caret, caret);
        }
      });
    };
    controller.focusRequested.connect(focus);
    controller.insertRequested.connect(insert);
    return () => {
      controller.focusRequested.disconnect(focus);
      controller.insertRequested.disconnect(insert);
    };
  }, [controller]);

  const canSend = !active && !sending && (text.trim().length > 0 || attachment !== null);
  const rows = Math.min(MAX_ROWS, Math.max(2, text.split('\n').length));
  const placeholder = attachment
    ? trans.__('Ask about %1…', attachment.label)
    : notebookPath
      ? trans.__('Ask about %1 (Enter sends)', notebookPath)
      : trans.__('Ask the agents (Enter sends)');

  return (
    <div className="jp-CodeAgent-composer">
      {attachment && (
        <div className="jp-CodeAgent-attachment" title={attachment.source}>
          <span className="jp-CodeAgent-attachment-label">
            {attachment.error ? '⚠ ' : ''}
            {attachment.label}
          </span>
          <code className="jp-CodeAgent-attachment-preview">{attachment.source.split('\n')[0]}</code>
          <button
            className="jp-CodeAgent-icon-button"
            onClick={() => controller.clearAttachment()}
            aria-label={trans.__('Remove the attached cell')}
            title={trans.__('Remove the attached cell')}
          >
            ×
          </button>
        </div>
      )}
      <textarea
        ref={input}
        className="jp-mod-styled jp-CodeAgent-input"
        rows={rows}
        value={text}
        placeholder={placeholder}
        aria-label={trans.__('Message to the agents')}
        title={trans.__('Enter sends, Shift+Enter adds a line')}
        onChange={event => controller.setComposer(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            if (canSend) {
              void controller.send();
            }
          }
        }}
      />
      <div className="jp-CodeAgent-composer-actions">
        {active ? (
          <button
            className="jp-Button jp-mod-styled jp-mod-warn jp-CodeAgent-stop"
            onClick={() => void controller.stop()}
            title={trans.__('Stop the run (a running cell is interrupted)')}
          >
            ■ {trans.__('Stop')}
          </button>
        ) : (
          <button
            className="jp-Button jp-mod-styled jp-mod-accept jp-CodeAgent-send"
            onClick={() => void controller.send()}
            disabled={!canSend}
            title={canSend ? trans.__('Send (Enter)') : trans.__('Write a message first')}
          >
            {sending ? trans.__('Sending…') : trans.__('Send')}
          </button>
        )}
      </div>
    </div>
  );
});
