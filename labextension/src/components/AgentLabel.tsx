import * as React from 'react';

import { useTrans } from '../uiContext';

export interface IAgentLabelProps {
  role: 'user' | 'assistant';
  agent: string | null;
}

/** "You", or the agent that wrote a message (planner, coder, reviewer). */
export function AgentLabel(props: IAgentLabelProps): JSX.Element {
  const trans = useTrans();
  if (props.role === 'user') {
    return <span className="jp-CodeAgent-agent jp-mod-user">{trans.__('You')}</span>;
  }
  const agent = props.agent ?? 'agents';
  const names: Record<string, string> = {
    planner: trans.__('planner'),
    coder: trans.__('coder'),
    reviewer: trans.__('reviewer'),
    summarizer: trans.__('summarizer'),
    question: trans.__('question'),
    agents: trans.__('agents')
  };
  return <span className={`jp-CodeAgent-agent jp-mod-${agent}`}>{names[agent] ?? agent}</span>;
}
