import * as React from 'react';

import { useTrans } from '../uiContext';

export interface IErrorBannerProps {
  message: string;
  onDismiss: () => void;
}

/** The last action that failed, in words, until dismissed. */
export function ErrorBanner(props: IErrorBannerProps): JSX.Element {
  const trans = useTrans();
  return (
    <div className="jp-CodeAgent-banner" role="alert">
      <span className="jp-CodeAgent-banner-text">{props.message}</span>
      <button
        className="jp-CodeAgent-icon-button"
        onClick={props.onDismiss}
        aria-label={trans.__('Dismiss')}
        title={trans.__('Dismiss')}
      >
        ×
      </button>
    </div>
  );
}
