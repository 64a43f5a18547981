import * as React from 'react';

import type { IViewState } from '../state/viewState';
import { ChatMessage } from './ChatMessage';
import { NoticeItem } from './NoticeItem';
import { QuestionCard } from './QuestionCard';
import { ReviewCard } from './ReviewCard';
import { RevertRunButton } from './UndoButton';

export interface IChatViewProps {
  timeline: IViewState['timeline'];
  cells: IViewState['cells'];
  questions: IViewState['questions'];
  empty: React.ReactNode;
  /** Earlier turns exist on the server; `onShowEarlier` loads them. */
  hasEarlier?: boolean;
  loadingEarlier?: boolean;
  onShowEarlier?: () => void;
}

/** How close to the bottom (px) still counts as "following" the conversation. */
const FOLLOW_SLACK = 48;

/** The conversation: messages, review cards, questions and notices in event order. */
export const ChatView = React.memo(function ChatView(props: IChatViewProps): JSX.Element {
  const scroller = React.useRef<HTMLDivElement>(null);
  const content = React.useRef<HTMLDivElement>(null);
  const following = React.useRef(true);

  const follow = React.useCallback(() => {
    const node = scroller.current;
    if (node && following.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, []);

  React.useLayoutEffect(follow);

  // Markdown and highlighting render asynchronously: keep following as they grow.
  React.useEffect(() => {
    const node = content.current;
    if (!node || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(follow);
    observer.observe(node);
    return () => observer.disconnect();
  }, [follow]);

  const onScroll = () => {
    const node = scroller.current;
    if (node) {
      following.current = node.scrollHeight - node.scrollTop - node.clientHeight < FOLLOW_SLACK;
    }
  };

  return (
    <div className="jp-CodeAgent-chat" ref={scroller} onScroll={onScroll} role="log" aria-live="polite">
      <div className="jp-CodeAgent-chat-content" ref={content}>
      {props.hasEarlier && (
        <button
          className="jp-CodeAgent-link jp-CodeAgent-show-earlier"
          onClick={() => {
            following.current = false; // stay where the user is reading
            props.onShowEarlier?.();
          }}
          disabled={props.loadingEarlier}
        >
          {props.loadingEarlier ? 'Loading earlier messages…' : 'Show earlier messages'}
        </button>
      )}
      {props.timeline.length === 0 && !props.hasEarlier && props.empty}
      {props.timeline.map(item => {
        switch (item.kind) {
          case 'message':
            return <ChatMessage key={item.key} item={item} />;
          case 'cell': {
            const cell = props.cells[item.cellId];
            return cell ? <ReviewCard key={item.key} cell={cell} /> : null;
          }
          case 'question': {
            const question = props.questions[item.questionId];
            return question ? <QuestionCard key={item.key} question={question} /> : null;
          }
          case 'notice':
            return <NoticeItem key={item.key} item={item} />;
        }
        return null;
      })}
      <RevertRunButton timeline={props.timeline} cells={props.cells} />
      </div>
    </div>
  );
});
