import * as React from 'react';

import type { IQuestionView } from '../state/viewState';
import { useServices, useTrans } from '../uiContext';
import { AgentLabel } from './AgentLabel';
import { Markdown } from './Markdown';

export interface IQuestionCardProps {
  question: IQuestionView;
}

/** A question from an agent (`ask_user`) with an answer box while it is open. */
export const QuestionCard = React.memo(function QuestionCard(props: IQuestionCardProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const { question } = props;
  const [text, setText] = React.useState('');
  const [sending, setSending] = React.useState(false);

  const submit = async () => {
    if (!text.trim() || sending) {
      return;
    }
    setSending(true);
    await controller.answer(question.questionId, text);
    setSending(false);
  };

  return (
    <div
      className={`jp-CodeAgent-question ${question.open ? 'jp-mod-open' : ''}`}
      data-question-id={question.questionId}
    >
      <div className="jp-CodeAgent-message-header">
        <AgentLabel role="assistant" agent="question" />
      </div>
      <Markdown text={question.text} />
      {question.open ? (
        <form
          className="jp-CodeAgent-answer"
          onSubmit={event => {
            event.preventDefault();
            void submit();
          }}
        >
          <textarea
            className="jp-mod-styled jp-CodeAgent-answer-input"
            value={text}
            rows={2}
            placeholder={trans.__('Your answer (Enter sends)')}
            aria-label={trans.__('Your answer')}
            onChange={event => setText(event.target.value)}
            onKeyDown={event => {
              if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
                event.preventDefault();
                void submit();
              }
            }}
          />
          <button
            type="submit"
            className="jp-Button jp-mod-styled jp-mod-accept"
            disabled={!text.trim() || sending}
          >
            {trans.__('Answer')}
          </button>
        </form>
      ) : (
        <div className="jp-CodeAgent-answered">
          {question.answer !== null ? (
            <>
              <span className="jp-CodeAgent-agent jp-mod-user">{trans.__('You')}</span> {question.answer}
            </>
          ) : (
            trans.__('Closed')
          )}
        </div>
      )}
    </div>
  );
});
