import * as React from 'react';

import type { IFinding } from '../types';

export interface IFindingsListProps {
  findings: readonly IFinding[];
}

/** The static analyzer's findings, most severe first. */
export function FindingsList(props: IFindingsListProps): JSX.Element | null {
  if (props.findings.length === 0) {
    return null;
  }
  const rank: Record<string, number> = { block: 0, high: 1, warning: 2, info: 3 };
  const sorted = [...props.findings].sort((a, b) => (rank[a.severity] ?? 4) - (rank[b.severity] ?? 4));
  return (
    <ul className="jp-CodeAgent-findings" aria-label="Analyzer findings">
      {sorted.map((finding, index) => (
        <li key={index} className={`jp-CodeAgent-finding jp-mod-${finding.severity}`}>
          <span className="jp-CodeAgent-finding-severity">{finding.severity}</span>
          {finding.line !== null && finding.line !== undefined && (
            <span className="jp-CodeAgent-finding-line">line {finding.line}</span>
          )}
          <span className="jp-CodeAgent-finding-message">{finding.message}</span>
        </li>
      ))}
    </ul>
  );
}
