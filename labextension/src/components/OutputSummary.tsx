import * as React from 'react';

import type { IOutput } from '../types';

export interface IOutputSummaryProps {
  outputs: readonly IOutput[];
}

const MAX_CHARS = 600;

function textOf(output: IOutput): string | null {
  if (output.output_type === 'stream') {
    const text = output['text'];
    return Array.isArray(text) ? text.join('') : typeof text === 'string' ? text : null;
  }
  if (output.output_type === 'execute_result' || output.output_type === 'display_data') {
    const data = output['data'] as Record<string, unknown> | undefined;
    const plain = data?.['text/plain'];
    if (Array.isArray(plain)) {
      return plain.join('');
    }
    if (typeof plain === 'string') {
      return plain;
    }
    const kinds = Object.keys(data ?? {}).filter(kind => kind !== 'text/plain');
    return kinds.length > 0 ? `[${kinds.join(', ')}]` : null;
  }
  if (output.output_type === 'error') {
    return `${String(output['ename'] ?? 'Error')}: ${String(output['evalue'] ?? '')}`;
  }
  return null;
}

/** A short text preview of a cell's outputs (the full outputs are in the notebook). */
export function OutputSummary(props: IOutputSummaryProps): JSX.Element | null {
  const text = props.outputs
    .map(textOf)
    .filter((part): part is string => part !== null && part.length > 0)
    .join('\n')
    .trim();
  if (!text) {
    return null;
  }
  const shown = text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
  const isError = props.outputs.some(output => output.output_type === 'error');
  return (
    <pre className={`jp-CodeAgent-output ${isError ? 'jp-mod-error' : ''}`} aria-label="Output">
      {shown}
    </pre>
  );
}
