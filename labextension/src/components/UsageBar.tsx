import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { isActive } from '../state/viewState';
import type { IRunUsage, IUsage } from '../types';
import { useServices, useTrans } from '../uiContext';

export interface IUsageBarProps {
  usage: IUsage;
}

const whole = new Intl.NumberFormat(undefined);
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

function dollars(amount: number | null | undefined): string | null {
  if (amount === null || amount === undefined) {
    return null;
  }
  return `$${amount < 0.01 ? amount.toFixed(4) : amount.toFixed(2)}`;
}

/** "the session budget (tokens)" for `budget_session_tokens`. */
function budgetName(trans: TranslationBundle, budget: string | null): string {
  const names: Record<string, string> = {
    budget_run_usd: trans.__('the run budget (US dollars)'),
    budget_session_usd: trans.__('the session budget (US dollars)'),
    budget_day_usd: trans.__('the day budget (US dollars)'),
    budget_run_tokens: trans.__('the run budget (tokens)'),
    budget_session_tokens: trans.__('the session budget (tokens)'),
    budget_day_tokens: trans.__('the day budget (tokens)')
  };
  return (budget && names[budget]) || trans.__('a budget');
}

function figures(trans: TranslationBundle, usage: IUsage | IRunUsage): string {
  const parts = [
    trans.__('%1 in', compact.format(usage.input_tokens)),
    trans.__('%1 out', compact.format(usage.output_tokens))
  ];
  const cost = dollars(usage.cost_usd);
  if (cost !== null) {
    parts.push(cost);
  }
  return parts.join(' · ');
}

/**
 * Tokens and cost of the current (or last) run and of the session; opens into a table
 * per run (the runs of the turns shown). When a budget stopped the last run, says which
 * and how to raise it (the server's own words).
 */
export const UsageBar = React.memo(function UsageBar(props: IUsageBarProps): JSX.Element | null {
  const { controller } = useServices();
  const trans = useTrans();
  const view = React.useSyncExternalStore(controller.subscribe, controller.getState).view;
  const { usage } = props;
  const runs = usage.runs ?? [];
  const run = runs.length > 0 ? runs[runs.length - 1] : null;
  const stop = view.budgetStop;
  if (!usage.input_tokens && !usage.output_tokens && stop === null) {
    return null;
  }
  const unknown = trans.__('no price known for this model');
  return (
    <div className="jp-CodeAgent-usage" aria-label={trans.__('Usage')}>
      {stop !== null && (
        <details className="jp-CodeAgent-budget-stop" data-budget={stop.budget ?? ''}>
          <summary>
            <strong>{trans.__('Budget reached:')}</strong> {budgetName(trans, stop.budget)}.{' '}
            <span className="jp-CodeAgent-budget-how">{trans.__('How to raise it')}</span>
          </summary>
          <p>{stop.message}</p>
        </details>
      )}
      <details className="jp-CodeAgent-usage-details">
        <summary>
          {run !== null && (
            <span className="jp-CodeAgent-usage-run">
              {isActive(view.status) ? trans.__('This run:') : trans.__('Last run:')} {figures(trans, run)}
            </span>
          )}
          <span className="jp-CodeAgent-usage-session">
            {trans.__('Session:')} {figures(trans, usage)}
          </span>
        </summary>
        <table className="jp-CodeAgent-usage-table">
          <thead>
            <tr>
              <th scope="col">{trans.__('Run')}</th>
              <th scope="col" title={trans.__('Input tokens')}>
                {trans.__('In')}
              </th>
              <th scope="col" title={trans.__('Input tokens served from the prompt cache')}>
                {trans.__('Cached')}
              </th>
              <th scope="col" title={trans.__('Output tokens')}>
                {trans.__('Out')}
              </th>
              <th scope="col">{trans.__('Cost')}</th>
            </tr>
          </thead>
          <tbody>
            {runs.map(item => (
              <tr key={item.turn}>
                <th scope="row">{whole.format(item.turn + 1)}</th>
                <td>{whole.format(item.input_tokens)}</td>
                <td>{whole.format(item.cache_read_tokens)}</td>
                <td>{whole.format(item.output_tokens)}</td>
                <td title={item.cost_usd === null ? unknown : undefined}>{dollars(item.cost_usd) ?? '—'}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" title={trans.__('The whole session')}>
                {trans.__('Total')}
              </th>
              <td>{whole.format(usage.input_tokens)}</td>
              <td>{whole.format(usage.cache_read_tokens ?? 0)}</td>
              <td>{whole.format(usage.output_tokens)}</td>
              <td title={usage.cost_usd === null ? unknown : undefined}>{dollars(usage.cost_usd) ?? '—'}</td>
            </tr>
          </tfoot>
        </table>
      </details>
    </div>
  );
});
