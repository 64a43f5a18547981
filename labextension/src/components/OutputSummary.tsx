import * as React from 'react';

import { isImageOutput, outputImages } from '../state/outputs';
import type { IOutput } from '../types';
import { useTrans } from '../uiContext';

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
    if (isImageOutput(output)) {
      return null; // shown as a thumbnail
    }
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

/** A short preview of a cell's outputs: text, and images as thumbnails (all of it is in the notebook). */
export function OutputSummary(props: IOutputSummaryProps): JSX.Element | null {
  const trans = useTrans();
  const [enlarged, setEnlarged] = React.useState<number | null>(null);
  const images = React.useMemo(() => outputImages(props.outputs), [props.outputs]);
  const text = props.outputs
    .map(textOf)
    .filter((part): part is string => part !== null && part.length > 0)
    .join('\n')
    .trim();
  if (!text && images.length === 0) {
    return null;
  }
  const shown = text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
  const isError = props.outputs.some(output => output.output_type === 'error');
  return (
    <div className="jp-CodeAgent-outputs">
      {shown && (
        <pre className={`jp-CodeAgent-output ${isError ? 'jp-mod-error' : ''}`} aria-label={trans.__('Output')}>
          {shown}
        </pre>
      )}
      {images.length > 0 && (
        <div className="jp-CodeAgent-thumbnails">
          {images.map((image, index) => (
            <button
              key={index}
              className={`jp-CodeAgent-thumbnail ${enlarged === index ? 'jp-mod-enlarged' : ''}`}
              onClick={() => setEnlarged(enlarged === index ? null : index)}
              aria-pressed={enlarged === index}
              title={enlarged === index ? trans.__('Show smaller') : trans.__('Show larger')}
            >
              <img src={image.src} alt={image.alt} />
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
