import * as React from 'react';

export interface IAgentLabelProps {
  role: 'user' | 'assistant';
  agent: string | null;
}

/** "You", or the agent that wrote a message (planner, coder, reviewer). */
export function AgentLabel(props: IAgentLabelProps): JSX.Element {
  if (props.role === 'user') {
    return <span className="jp-CodeAgent-agent jp-mod-user">You</span>;
  }
  const agent = props.agent ?? 'agents';
  return <span className={`jp-CodeAgent-agent jp-mod-${agent}`}>{agent}</span>;
}
