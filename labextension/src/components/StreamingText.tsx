import * as React from 'react';

import { markdownBlocks } from '../state/markdownBlocks';
import { Markdown } from './Markdown';

export interface IStreamingTextProps {
  text: string;
}

/**
 * Markdown still arriving: rendered block by block (a block ends at a blank line
 * outside a code fence), so a delta renders only the last block again; the finished
 * blocks keep their rendering.
 */
export function StreamingText(props: IStreamingTextProps): JSX.Element {
  const blocks = markdownBlocks(props.text);
  return (
    <div className="jp-CodeAgent-message-text jp-CodeAgent-stream">
      {blocks.map((block, index) => (
        <Markdown key={index} className="jp-CodeAgent-stream-segment" text={block} />
      ))}
    </div>
  );
}
