import * as React from 'react';

import { streamSegments } from '../state/segments';

export interface IStreamingTextProps {
  text: string;
}

const Segment = React.memo(function Segment(props: { text: string }): JSX.Element {
  return <div className="jp-CodeAgent-stream-segment">{props.text}</div>;
});

/** Text still arriving: plain, in stable blocks so that a delta only re-lays out the last one. */
export function StreamingText(props: IStreamingTextProps): JSX.Element {
  const segments = streamSegments(props.text);
  return (
    <div className="jp-CodeAgent-message-text jp-CodeAgent-stream">
      {segments.map((segment, index) => (
        <Segment key={index} text={segment} />
      ))}
    </div>
  );
}
