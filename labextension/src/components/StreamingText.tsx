import * as React from 'react';

import { markdownBlocks } from '../state/markdownBlocks';
import { streamSegments } from '../state/segments';
import { Markdown } from './Markdown';

export interface IStreamingTextProps {
  text: string;
}

/** Above this size the block being written stays plain until it ends (see below). */
const MAX_LIVE_MARKDOWN = 2000;

const Segment = React.memo(function Segment(props: { text: string }): JSX.Element {
  return <div className="jp-CodeAgent-stream-segment jp-CodeAgent-stream-plain">{props.text}</div>;
});

/**
 * Markdown still arriving, block by block (a block ends at a blank line outside a code
 * fence): finished blocks keep their rendering, and a delta renders only the last block
 * again. A last block longer than MAX_LIVE_MARKDOWN is shown as plain text in stable
 * segments until it ends, so that one endless paragraph never costs a full Markdown
 * render per delta.
 */
export function StreamingText(props: IStreamingTextProps): JSX.Element {
  const blocks = markdownBlocks(props.text);
  const last = blocks.length - 1;
  return (
    <div className="jp-CodeAgent-message-text jp-CodeAgent-stream">
      {blocks.map((block, index) =>
        index === last && block.length > MAX_LIVE_MARKDOWN ? (
          <div key={index}>
            {streamSegments(block).map((segment, part) => (
              <Segment key={part} text={segment} />
            ))}
          </div>
        ) : (
          <Markdown key={index} className="jp-CodeAgent-stream-segment" text={block} />
        )
      )}
    </div>
  );
}
