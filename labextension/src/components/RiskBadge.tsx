import * as React from 'react';

export interface IRiskBadgeProps {
  risk: string;
}

/** low / medium / high, coloured by JupyterLab's success / warn / error colours. */
export function RiskBadge(props: IRiskBadgeProps): JSX.Element {
  const risk = ['low', 'medium', 'high'].includes(props.risk) ? props.risk : 'medium';
  return (
    <span className={`jp-CodeAgent-badge jp-CodeAgent-risk jp-mod-${risk}`} title={`Risk: ${risk}`}>
      {risk} risk
    </span>
  );
}
