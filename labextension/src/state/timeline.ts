/**
 * The timeline part of the reducer: chat messages, streamed drafts, the end of a run,
 * and the helpers that edit the timeline.
 */

import type { IMessageEvent, IRunFinishedEvent } from '../types';
import { ICellView, IMessageItem, IQuestionView, IViewState, TimelineItem } from './viewState';

/** Agents whose streamed text is shown as chat; others' drafts disappear when sealed. */
const CHAT_AGENTS = new Set(['planner', 'coder']);

// --- messages and drafts ----------------------------------------------------------------

export function onMessage(state: IViewState, event: IMessageEvent): IViewState {
  const questionId = event.question_id;
  if (event.role === 'user' && questionId) {
    // The answer to a question belongs on its card, not in a second chat bubble.
    const question = state.questions[questionId];
    if (question) {
      return {
        ...state,
        questions: {
          ...state.questions,
          [questionId]: { ...question, open: false, answer: event.text }
        }
      };
    }
  }
  if (event.role === 'user') {
    return appendItem(state, messageItem(`m-${event.seq}`, 'user', null, event.text));
  }
  if (event.agent === 'reviewer') {
    return holdReviewRound(state, event);
  }
  const agent = event.agent ?? 'assistant';
  const item = {
    ...messageItem(`m-${event.seq}`, 'assistant', agent, event.text),
    interrupted: event.interrupted === true
  };
  // The agent's streamed draft becomes the complete message, where the draft stood.
  const draftKey = state.drafts[agent];
  if (draftKey !== undefined) {
    const drafts = { ...state.drafts };
    delete drafts[agent];
    return { ...replaceItem(state, draftKey, { ...item, key: draftKey }), drafts };
  }
  return appendItem(state, item);
}

/**
 * A reviewer's "revise" comments belong with the re-proposal that answers them (the
 * card's history), not in the chat: held until the next `cell_proposed`.
 */
function holdReviewRound(state: IViewState, event: IMessageEvent): IViewState {
  let next = state;
  const draftKey = state.drafts['reviewer'];
  if (draftKey !== undefined) {
    const drafts = { ...state.drafts };
    delete drafts['reviewer'];
    next = { ...removeItem(state, draftKey), drafts };
  }
  const round = { code: event.reviewed_code ?? null, comments: event.text };
  return { ...next, pendingRounds: [...(next.pendingRounds ?? []), round] };
}

/** Rounds no re-proposal answered (the run ended first) go to the chat, not away. */
function flushReviewRounds(state: IViewState, seq: number): IViewState {
  const rounds = state.pendingRounds ?? [];
  if (rounds.length === 0) {
    return state;
  }
  let next: IViewState = { ...state, pendingRounds: [] };
  rounds.forEach((round, index) => {
    next = appendItem(next, messageItem(`r-${seq}-${index}`, 'assistant', 'reviewer', round.comments));
  });
  return next;
}

export function onDelta(state: IViewState, agent: string, text: string, seq: number): IViewState {
  if (!text) {
    return state;
  }
  const key = state.drafts[agent];
  if (key !== undefined) {
    const item = findItem(state, key);
    if (item?.kind === 'message') {
      return replaceItem(state, key, { ...item, text: item.text + text });
    }
  }
  const newKey = `d-${seq}`;
  const withItem = appendItem(state, { ...messageItem(newKey, 'assistant', agent, text), streaming: true });
  return { ...withItem, drafts: { ...state.drafts, [agent]: newKey } };
}

/**
 * Close the open drafts at a step boundary (a plan, a proposed cell, a question...):
 * chat agents' text stays where it is, other agents' drafts (the reviewer's) go.
 */
export function sealDrafts(state: IViewState): IViewState {
  return closeDrafts(state, false);
}

function closeDrafts(state: IViewState, interrupted: boolean): IViewState {
  const agents = Object.keys(state.drafts);
  if (agents.length === 0) {
    return state;
  }
  let next: IViewState = state;
  for (const agent of agents) {
    const key = state.drafts[agent];
    const item = findItem(next, key);
    if (item?.kind !== 'message') {
      continue;
    }
    if (CHAT_AGENTS.has(agent) && item.text.trim()) {
      next = replaceItem(next, key, { ...item, streaming: false, interrupted });
    } else {
      next = removeItem(next, key);
    }
  }
  return { ...next, drafts: {} };
}

/**
 * The end of a run. A `done` run's summary is its closing answer (sent only here) and
 * takes the place of its agent's draft; otherwise the summary is a notice (stopped,
 * failed). Nothing waits any more: undecided cells will not run, questions close.
 */
export function onRunFinished(
  state: IViewState,
  event: IRunFinishedEvent,
  stale: boolean
): IViewState {
  let next: IViewState = flushReviewRounds(state, event.seq);
  const summary = event.summary?.trim();
  const agent = event.agent ?? 'coder';
  if (event.status === 'done' && summary) {
    next = onMessage(next, {
      type: 'message',
      seq: event.seq,
      ts: event.ts,
      role: 'assistant',
      agent: event.agent,
      text: event.summary ?? ''
    });
  }
  next = closeDrafts(next, event.status !== 'done');
  let cells: Record<string, ICellView> | null = null;
  for (const id of next.cellOrder) {
    const cell = next.cells[id];
    if (cell && (cell.awaitingDecision || cell.status === 'running' || cell.decisionSent)) {
      cells = cells ?? { ...next.cells };
      cells[id] = {
        ...cell,
        awaitingDecision: false,
        decisionSent: null,
        status: cell.status === 'running' ? 'stopped' : cell.status
      };
    }
  }
  let questions: Record<string, IQuestionView> | null = null;
  for (const id of Object.keys(next.questions)) {
    if (next.questions[id].open) {
      questions = questions ?? { ...next.questions };
      questions[id] = { ...next.questions[id], open: false };
    }
  }
  next = {
    ...next,
    cells: cells ?? next.cells,
    questions: questions ?? next.questions,
    status: stale ? next.status : event.status
  };
  if (event.status === 'done' || !summary) {
    return next;
  }
  void agent;
  return appendItem(next, {
    kind: 'notice',
    key: `n-${event.seq}`,
    level: event.status === 'failed' ? 'error' : 'info',
    text: summary,
    code: event.status
  });
}

// --- timeline helpers ------------------------------------------------------------------------

function messageItem(
  key: string,
  role: 'user' | 'assistant',
  agent: string | null,
  text: string
): IMessageItem {
  return { kind: 'message', key, role, agent, text, streaming: false, interrupted: false };
}

export function appendItem(state: IViewState, item: TimelineItem): IViewState {
  return { ...state, timeline: [...state.timeline, item] };
}

function findIndex(state: IViewState, key: string): number {
  // Drafts and recent items sit at the end: search backwards.
  for (let i = state.timeline.length - 1; i >= 0; i--) {
    if (state.timeline[i].key === key) {
      return i;
    }
  }
  return -1;
}

export function findItem(state: IViewState, key: string): TimelineItem | undefined {
  const index = findIndex(state, key);
  return index < 0 ? undefined : state.timeline[index];
}

function replaceItem(state: IViewState, key: string, item: TimelineItem): IViewState {
  const index = findIndex(state, key);
  if (index < 0) {
    return appendItem(state, item);
  }
  const timeline = state.timeline.slice();
  timeline[index] = item;
  return { ...state, timeline };
}

function removeItem(state: IViewState, key: string): IViewState {
  const index = findIndex(state, key);
  if (index < 0) {
    return state;
  }
  const timeline = state.timeline.slice();
  timeline.splice(index, 1);
  return { ...state, timeline };
}
