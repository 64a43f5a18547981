import * as React from 'react';

import { useTrans } from '../uiContext';

export interface IRiskBadgeProps {
  risk: string;
}

/** low / medium / high risk; high is filled so that it stands out at a glance. */
export function RiskBadge(props: IRiskBadgeProps): JSX.Element {
  const trans = useTrans();
  const risk = ['low', 'medium', 'high'].includes(props.risk) ? props.risk : 'medium';
  const label =
    risk === 'low' ? trans.__('low risk') : risk === 'high' ? trans.__('high risk') : trans.__('medium risk');
  return (
    <span className={`jp-CodeAgent-badge jp-CodeAgent-risk jp-mod-${risk}`} title={trans.__('Risk: %1', label)}>
      {risk === 'high' && (
        <span aria-hidden="true" className="jp-CodeAgent-risk-mark">
          ⚠{' '}
        </span>
      )}
      {label}
    </span>
  );
}
