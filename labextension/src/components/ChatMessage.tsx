import * as React from 'react';

import { errorHeadline, splitAttachedCell } from '../state/attachment';
import type { IMessageItem } from '../state/viewState';
import { useTrans } from '../uiContext';
import { AgentLabel } from './AgentLabel';
import { CodeBlock } from './CodeBlock';
import { Markdown } from './Markdown';
import { StreamingText } from './StreamingText';

export interface IChatMessageProps {
  item: IMessageItem;
}

/**
 * One chat message as Markdown (block by block while it streams). A user message that
 * carries a notebook cell shows the words and the cell folded into one line.
 */
export const ChatMessage = React.memo(function ChatMessage(props: IChatMessageProps): JSX.Element {
  const trans = useTrans();
  const { item } = props;
  const split = React.useMemo(
    () => (item.role === 'user' ? splitAttachedCell(item.text) : { words: item.text, cell: null }),
    [item.role, item.text]
  );
  return (
    <div
      className={`jp-CodeAgent-message jp-mod-${item.role} ${item.streaming ? 'jp-mod-streaming' : ''}`}
      data-agent={item.agent ?? item.role}
    >
      <div className="jp-CodeAgent-message-header">
        <AgentLabel role={item.role} agent={item.agent} />
        {item.streaming && <span className="jp-CodeAgent-typing" aria-label={trans.__('writing')} />}
        {item.interrupted && <span className="jp-CodeAgent-interrupted">{trans.__('(interrupted)')}</span>}
      </div>
      {item.streaming ? (
        <StreamingText text={item.text} />
      ) : (
        <div className="jp-CodeAgent-message-text">
          {split.words && <Markdown text={split.words} />}
          {split.cell && (
            <details className="jp-CodeAgent-attached">
              <summary>
                <span className="jp-CodeAgent-attached-label">
                  {trans.__('%1 of %2', split.cell.label, split.cell.notebookPath)}
                </span>
                {split.cell.error && (
                  <span className="jp-CodeAgent-attached-error">⚠ {errorHeadline(split.cell.error)}</span>
                )}
              </summary>
              <CodeBlock code={split.cell.code} />
              {split.cell.error && <pre className="jp-CodeAgent-output jp-mod-error">{split.cell.error}</pre>}
            </details>
          )}
        </div>
      )}
    </div>
  );
});
