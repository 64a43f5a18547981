import * as React from 'react';

import type { IUsage } from '../types';

export interface IUsageBarProps {
  usage: IUsage;
}

const numbers = new Intl.NumberFormat(undefined);

/** Tokens and cost of the session so far. */
export const UsageBar = React.memo(function UsageBar(props: IUsageBarProps): JSX.Element | null {
  const { input_tokens, output_tokens, cost_usd } = props.usage;
  if (!input_tokens && !output_tokens) {
    return null;
  }
  const cost =
    cost_usd === null || cost_usd === undefined
      ? null
      : `$${cost_usd < 0.01 ? cost_usd.toFixed(4) : cost_usd.toFixed(2)}`;
  return (
    <div className="jp-CodeAgent-usage" aria-label="Usage">
      <span title="Input tokens">{numbers.format(input_tokens)} in</span>
      <span title="Output tokens">{numbers.format(output_tokens)} out</span>
      <span>tokens</span>
      {cost !== null && <span className="jp-CodeAgent-usage-cost">{cost}</span>}
    </div>
  );
});
