import * as React from 'react';

import type { IMessageItem } from '../state/viewState';
import { AgentLabel } from './AgentLabel';
import { Markdown } from './Markdown';
import { StreamingText } from './StreamingText';

export interface IChatMessageProps {
  item: IMessageItem;
}

/**
 * One chat message. While it streams it is plain text (cheap to grow on every
 * delta); once complete it is rendered as sanitized Markdown.
 */
export const ChatMessage = React.memo(function ChatMessage(props: IChatMessageProps): JSX.Element {
  const { item } = props;
  return (
    <div
      className={`jp-CodeAgent-message jp-mod-${item.role} ${item.streaming ? 'jp-mod-streaming' : ''}`}
      data-agent={item.agent ?? item.role}
    >
      <div className="jp-CodeAgent-message-header">
        <AgentLabel role={item.role} agent={item.agent} />
        {item.streaming && <span className="jp-CodeAgent-typing" aria-label="writing" />}
        {item.interrupted && <span className="jp-CodeAgent-interrupted">(interrupted)</span>}
      </div>
      {item.streaming ? (
        <StreamingText text={item.text} />
      ) : (
        <Markdown className="jp-CodeAgent-message-text" text={item.text} />
      )}
    </div>
  );
});
