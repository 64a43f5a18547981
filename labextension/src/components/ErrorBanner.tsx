import * as React from 'react';

export interface IErrorBannerProps {
  message: string;
  onDismiss: () => void;
}

/** The last action that failed, in words, until dismissed. */
export function ErrorBanner(props: IErrorBannerProps): JSX.Element {
  return (
    <div className="jp-CodeAgent-banner" role="alert">
      <span className="jp-CodeAgent-banner-text">{props.message}</span>
      <button className="jp-CodeAgent-icon-button" onClick={props.onDismiss} aria-label="Dismiss" title="Dismiss">
        ×
      </button>
    </div>
  );
}
