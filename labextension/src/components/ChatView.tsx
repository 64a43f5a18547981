import * as React from 'react';

import type { ICellView, IViewState } from '../state/viewState';
import type { ITask } from '../types';
import { useTrans } from '../uiContext';
import { ChatMessage } from './ChatMessage';
import { focusCardNode, isTyping, neighbourCard, waitingCard } from './focusQueue';
import { NoticeItem } from './NoticeItem';
import { QuestionCard } from './QuestionCard';
import { ReviewCard } from './ReviewCard';
import { WaitingBar } from './WaitingBar';
import { RevertRunButton } from './UndoButton';

export interface IChatViewProps {
  timeline: IViewState['timeline'];
  cells: IViewState['cells'];
  questions: IViewState['questions'];
  /** The plan's tasks (cards are named by their task's title). */
  plan?: readonly ITask[];
  /** Cells waiting for the user, oldest first. */
  waiting?: readonly ICellView[];
  empty: React.ReactNode;
  /** Earlier turns exist on the server; `onShowEarlier` loads them. */
  hasEarlier?: boolean;
  loadingEarlier?: boolean;
  onShowEarlier?: () => void;
}

/** How close to the bottom (px) still counts as "following" the conversation. */
const FOLLOW_SLACK = 48;
const NO_CELLS: readonly ICellView[] = [];

/**
 * The conversation: messages, review cards, questions and notices in event order,
 * with the waiting bar above it. It follows new content until the user scrolls up
 * ("Jump to latest" goes back); a card that starts waiting takes the keyboard focus
 * unless the user is typing; `j`/`k` move between cards.
 */
export const ChatView = React.memo(function ChatView(props: IChatViewProps): JSX.Element {
  const trans = useTrans();
  const scroller = React.useRef<HTMLDivElement>(null);
  const content = React.useRef<HTMLDivElement>(null);
  const following = React.useRef(true);
  const [atBottom, setAtBottom] = React.useState(true);
  const waiting = props.waiting ?? NO_CELLS;

  const follow = React.useCallback(() => {
    const node = scroller.current;
    if (node && following.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, []);

  // The user's own new message means: follow the conversation again.
  const last = props.timeline[props.timeline.length - 1];
  const lastIsUser = last?.kind === 'message' && last.role === 'user';
  const lastKey = last?.key;
  React.useLayoutEffect(() => {
    if (lastIsUser) {
      following.current = true;
      setAtBottom(true);
    }
  }, [lastKey, lastIsUser]);

  React.useLayoutEffect(follow);

  // Markdown and highlighting render asynchronously, and the chat shrinks when the plan
  // opens: keep following through both.
  React.useEffect(() => {
    const node = content.current;
    const viewport = scroller.current;
    if (!node || !viewport || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(follow);
    observer.observe(node);
    observer.observe(viewport);
    return () => observer.disconnect();
  }, [follow]);

  const onScroll = () => {
    const node = scroller.current;
    if (node) {
      const bottom = node.scrollHeight - node.scrollTop - node.clientHeight < FOLLOW_SLACK;
      following.current = bottom;
      setAtBottom(bottom);
    }
  };

  const jumpToLatest = () => {
    const node = scroller.current;
    following.current = true;
    setAtBottom(true);
    if (node) {
      node.scrollTop = node.scrollHeight;
    }
  };

  // A card that starts waiting takes the focus (the oldest one), unless the user is
  // typing, reviewing another card, or reading further up (the waiting bar says it).
  const waitingIds = waiting.map(cell => cell.cellId).join(' ');
  const seen = React.useRef<Set<string>>(new Set());
  React.useEffect(() => {
    const root = scroller.current;
    const ids = waitingIds ? waitingIds.split(' ') : [];
    const fresh = ids.some(id => !seen.current.has(id));
    seen.current = new Set(ids);
    if (!root || !fresh || !following.current || root.offsetParent === null || isTyping()) {
      return;
    }
    const active = document.activeElement;
    if (active instanceof HTMLElement && active.matches('.jp-CodeAgent-card.jp-mod-pending')) {
      return;
    }
    focusCardNode(waitingCard(root));
  }, [waitingIds]);

  // After a decision, the next waiting card; else the chat keeps the focus, so that
  // the next card to wait can take it.
  const onDecided = React.useCallback((cellId: string) => {
    const root = scroller.current;
    if (!root) {
      return;
    }
    requestAnimationFrame(() => {
      if (!focusCardNode(waitingCard(root, cellId))) {
        root.focus({ preventScroll: true });
      }
    });
  }, []);

  const review = () => {
    const root = scroller.current;
    if (!root) {
      return;
    }
    if (!focusCardNode(waitingCard(root))) {
      root.querySelector<HTMLElement>('.jp-CodeAgent-question.jp-mod-open textarea')?.focus();
    }
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    const target = event.target as HTMLElement;
    if (event.ctrlKey || event.metaKey || event.altKey || target.closest('input, textarea, [contenteditable]')) {
      return;
    }
    if (event.key === 'j' || event.key === 'k') {
      const root = scroller.current;
      if (root && focusCardNode(neighbourCard(root, event.key === 'j' ? 1 : -1))) {
        event.preventDefault();
      }
    }
  };

  const titles = React.useMemo(() => new Map((props.plan ?? []).map(task => [task.id, task.title])), [props.plan]);
  const openQuestions = Object.values(props.questions).filter(question => question.open).length;

  return (
    <div className="jp-CodeAgent-chat-area">
      <WaitingBar waiting={waiting} openQuestions={openQuestions} onReview={review} onDecided={onDecided} />
      <div
        className="jp-CodeAgent-chat"
        ref={scroller}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        tabIndex={-1}
        role="log"
        aria-label={trans.__('Conversation')}
      >
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
              {props.loadingEarlier ? trans.__('Loading earlier messages…') : trans.__('Show earlier messages')}
            </button>
          )}
          {props.timeline.length === 0 && !props.hasEarlier && props.empty}
          {props.timeline.map(item => {
            switch (item.kind) {
              case 'message':
                return <ChatMessage key={item.key} item={item} />;
              case 'cell': {
                const cell = props.cells[item.cellId];
                return cell ? (
                  <ReviewCard
                    key={item.key}
                    cell={cell}
                    taskTitle={cell.taskId ? (titles.get(cell.taskId) ?? null) : null}
                    onDecided={onDecided}
                  />
                ) : null;
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
      {!atBottom && (
        <button className="jp-Button jp-mod-styled jp-CodeAgent-jump" onClick={jumpToLatest}>
          ↓ {trans.__('Jump to latest')}
        </button>
      )}
    </div>
  );
});
