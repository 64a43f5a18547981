"""Assemble what a role sees from the memory tiers, never from the raw full history.

    system message  role prompt (fixed: the cached prefix, with the tools)
    context message session context as the run started: notebook, running summary of
                    older turns, data objects (names + one-line summaries), data files
                    beside the notebook, knowledge catalog
    recent turns    the last ``history_turns`` finished turns, essential user and
                    assistant messages only (no tool-call logs)
    current step    the user's request, the step's details (plan, revision note),
                    ``@`` pins, then the run's full tool-call exchange so far

The result is fitted to the token budget (see ``budget.py`` for what is cut first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_codeagent.models import AssistantMessage, Message, UserMessage

from .budget import PromptDraft
from .pins import Pin
from .state import MemoryState

# The data-object list shows the most recently touched objects only: a long session
# accumulates hundreds of variables, and the model calls list_variables for the rest.
MAX_OBJECTS_IN_PROMPT = 40


@dataclass(frozen=True, kw_only=True)
class CurrentStep:
    """The detailed tier: what this call is about."""

    request: str
    details: str = ""
    exchange: Sequence[Message] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class AssembledPrompt:
    """The messages to send, their calibrated estimate, and what was cut to fit."""

    messages: list[Message]
    tokens: int
    raw_tokens: int
    budget: int
    cuts: tuple[str, ...]
    over_budget: bool
    model_key: str


def recent_turns(records: Iterable[Any], *, turn: int, keep: int) -> list[tuple[Message, ...]]:
    """Essential messages of the turns ``turn - keep <= t < turn``, oldest first."""
    if keep <= 0:
        return []
    first = max(0, turn - keep)
    by_turn: dict[int, list[Message]] = {}
    for record in records:
        if first <= record.turn < turn:
            message: Message = (
                UserMessage(content=record.text)
                if record.role == "user"
                else AssistantMessage(content=record.text)
            )
            by_turn.setdefault(record.turn, []).append(message)
    return [tuple(messages) for _, messages in sorted(by_turn.items())]


def build_draft(
    *,
    system: str,
    notebook_path: str,
    state: MemoryState,
    recent: Sequence[tuple[Message, ...]],
    catalog: str,
    pins: Sequence[Pin],
    step: CurrentStep,
    tool_tokens: int,
    objects: Sequence[str] | None = None,
    objects_total: int | None = None,
    files: Sequence[str] = (),
) -> PromptDraft:
    """``objects``/``objects_total`` given: the data objects as the run started (a run
    keeps its context unchanged; cells report what they change in their results)."""
    return PromptDraft(
        system=system,
        notebook=f"Notebook: {notebook_path}",
        summary=state.summary,
        objects=tuple(
            state.registry.lines()[:MAX_OBJECTS_IN_PROMPT] if objects is None else objects
        ),
        objects_total=len(state.registry) if objects_total is None else objects_total,
        catalog=catalog,
        files=tuple(files),
        recent=tuple(recent),
        request=step.request,
        details=step.details,
        pins=tuple(pin.render() for pin in pins),
        exchange=tuple(step.exchange),
        tool_tokens=tool_tokens,
    )
