"""The older-history tier: turns that age out of the recent window are folded into a
running summary by the summarizer role (plain text, no tools, cheap model allowed).
The memory is handed a ``Summarize`` function (the agents make the model call); it
never calls a model itself.

Incremental: each call gets the summary so far plus only the turns that aged out
since, so the cost per turn stays constant however long the session runs. A long
backlog (a restored session, or ``history_turns`` lowered) is folded in batches.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import CodeAgentError
from .tokens import estimate_text

log = logging.getLogger(__name__)

#: Turns a summarizer request (``summarizer_request``) into the new summary text;
#: raises ``CodeAgentError`` when the model call fails.
Summarize = Callable[[str], Awaitable[str]]

# One summarizer call reads at most about this many tokens of new turns.
BATCH_TOKENS = 6_000
# A single message is clipped to this for the summarizer (a pasted log is not history).
MESSAGE_CHARS = 3_000
# When the summarizer fails, the fallback keeps this much of each message instead.
FALLBACK_CHARS = 200
FALLBACK_SUMMARY_CHARS = 4_000


@dataclass(frozen=True, kw_only=True)
class TurnText:
    """The essential messages of one finished turn (0-based index)."""

    turn: int
    messages: tuple[tuple[str, str], ...]

    def render(self, limit: int = MESSAGE_CHARS) -> str:
        lines = [f"Turn {self.turn + 1}:"]
        for role, text in self.messages:
            clipped = text if len(text) <= limit else text[:limit] + " [...]"
            lines.append(f"{role}: {clipped}")
        return "\n".join(lines)


def turns_between(records: Iterable[Any], start: int, stop: int) -> list[TurnText]:
    """Turns ``start <= turn < stop`` that have messages, from the store's records."""
    by_turn: dict[int, list[tuple[str, str]]] = {}
    for record in records:
        if start <= record.turn < stop:
            by_turn.setdefault(record.turn, []).append((record.role, record.text))
    return [TurnText(turn=t, messages=tuple(m)) for t, m in sorted(by_turn.items())]


def batches(turns: Sequence[TurnText], limit: int = BATCH_TOKENS) -> list[list[TurnText]]:
    groups: list[list[TurnText]] = []
    current: list[TurnText] = []
    size = 0
    for turn in turns:
        tokens = estimate_text(turn.render())
        if current and size + tokens > limit:
            groups.append(current)
            current, size = [], 0
        current.append(turn)
        size += tokens
    if current:
        groups.append(current)
    return groups


def summarizer_request(summary: str, turns: Sequence[TurnText]) -> str:
    previous = summary.strip() or "(none yet: this is the start of the conversation)"
    history = "\n\n".join(turn.render() for turn in turns)
    return (
        f"Summary so far:\n{previous}\n\n"
        f"Older turns to fold into the summary:\n{history}\n\n"
        "Write the updated running summary."
    )


async def fold_turns(summarize: Summarize, summary: str, turns: Sequence[TurnText]) -> str:
    """The running summary with ``turns`` folded in (one summarizer call per batch)."""
    for group in batches(turns):
        summary = await _fold_batch(summarize, summary, group)
    return summary


async def _fold_batch(summarize: Summarize, summary: str, turns: Sequence[TurnText]) -> str:
    try:
        text = (await summarize(summarizer_request(summary, turns))).strip()
    except CodeAgentError as error:
        # Losing the summary of a few turns must not fail the user's request: keep a
        # crude extract; the next successful call rewrites the whole summary anyway.
        log.warning("summarizer failed (%s): keeping an extract instead", error.message)
        return extract_summary(summary, turns)
    return text or extract_summary(summary, turns)


def extract_summary(summary: str, turns: Sequence[TurnText]) -> str:
    """The fallback summary: the start of every message, newest kept when too long."""
    lines = [summary.strip()] if summary.strip() else []
    for turn in turns:
        for role, text in turn.messages:
            snippet = " ".join(text.split())[:FALLBACK_CHARS]
            lines.append(f"(turn {turn.turn + 1}) {role}: {snippet}")
    text = "\n".join(lines)
    return text[-FALLBACK_SUMMARY_CHARS:]
