import * as React from 'react';

import type { INoticeItem } from '../state/viewState';

export interface INoticeItemProps {
  item: INoticeItem;
}

/** A server error or the end of a stopped / failed run, in the chat (server text). */
export const NoticeItem = React.memo(function NoticeItem(props: INoticeItemProps): JSX.Element {
  const { item } = props;
  return (
    <div
      className={`jp-CodeAgent-notice jp-mod-${item.level}`}
      role={item.level === 'error' ? 'alert' : 'status'}
      data-code={item.code ?? ''}
    >
      {item.text}
    </div>
  );
});
