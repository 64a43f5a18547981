import * as React from 'react';

import type { IFinding } from '../types';
import { useTrans } from '../uiContext';

export interface IFindingsListProps {
  findings: readonly IFinding[];
}

/** The static analyzer's findings, most severe first. */
export function FindingsList(props: IFindingsListProps): JSX.Element | null {
  const trans = useTrans();
  if (props.findings.length === 0) {
    return null;
  }
  const rank: Record<string, number> = { block: 0, high: 1, warning: 2, info: 3 };
  const severities: Record<string, string> = {
    block: trans.__('block'),
    high: trans.__('high'),
    warning: trans.__('warning'),
    info: trans.__('info')
  };
  const sorted = [...props.findings].sort((a, b) => (rank[a.severity] ?? 4) - (rank[b.severity] ?? 4));
  return (
    <ul className="jp-CodeAgent-findings" aria-label={trans.__('Analyzer findings')}>
      {sorted.map((finding, index) => (
        <li key={index} className={`jp-CodeAgent-finding jp-mod-${finding.severity}`}>
          <span className="jp-CodeAgent-finding-severity">{severities[finding.severity] ?? finding.severity}</span>
          {finding.line !== null && finding.line !== undefined && (
            <span className="jp-CodeAgent-finding-line">{trans.__('line %1', finding.line)}</span>
          )}
          <span className="jp-CodeAgent-finding-message">{finding.message}</span>
        </li>
      ))}
    </ul>
  );
}
