"""Anthropic prompt caching: where the ``cache_control`` breakpoints go.

OpenAI caches every long prompt prefix by itself; Anthropic caches only up to the
blocks marked ``cache_control`` (at most 4 per request), and a later request reads
the cache when its prompt starts with exactly the same tokens (tools, then system,
then messages). A cache read costs a tenth of fresh input, a cache write 1.25 times.

The breakpoints assume the caller sends a cache-friendly prompt, which the agents do:

1. the tools and the static role prompt (the first system message) never change
   within a run: a breakpoint after the last tool and one after the first system
   block cache them across every call of that role;
2. the session context (data objects, summary) is the *last* system message, or a
   message of its own before the exchange: a breakpoint after the last system block
   keeps it cached while it is unchanged;
3. the exchange only grows at its end (plan changes arrive as new messages, earlier
   messages are never rewritten): a breakpoint on the last block of the last message
   writes the whole prompt to the cache, so the next call reads all of it and pays
   full price only for what was appended. Anthropic looks back up to 20 blocks from
   a breakpoint for an earlier cache entry, which covers one step's tool results.

Anything that rewrites an earlier message (a re-rendered plan inside the first user
message, a summary replacing old turns) starts a new cache entry from that point on:
correct, only more expensive. Prompts shorter than the model's minimum (1024 to 4096
tokens) are simply not cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_BREAKPOINTS = 4
EPHEMERAL: dict[str, str] = {"type": "ephemeral"}


def system_blocks(parts: Sequence[str]) -> list[dict[str, Any]]:
    """The ``system`` parameter as text blocks, one per system message (empty ones dropped)."""
    return [{"type": "text", "text": part} for part in parts if part]


def add_cache_breakpoints(
    tools: list[dict[str, Any]],
    system: list[dict[str, Any]],
    messages: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """``tools``, ``system`` and ``messages`` with the breakpoints set (inputs unchanged).

    In order of priority (the budget is ``MAX_BREAKPOINTS``): the last message, the
    first system block, the last system block, the last tool. With a system prompt the
    tools are cached by the system breakpoints too (they come first in the prefix), so
    the tool breakpoint only pays off when the system part changes; it goes last.
    Only the marked blocks are copied: the conversation itself may be long.
    """
    tools, system, messages = list(tools), list(system), list(messages)
    budget = MAX_BREAKPOINTS
    if messages and messages[-1].get("content"):
        content = list(messages[-1]["content"])
        content[-1] = _marked(content[-1])
        messages[-1] = {**messages[-1], "content": content}
        budget -= 1
    for index in sorted({0, len(system) - 1}) if system else ():
        if budget:
            system[index] = _marked(system[index])
            budget -= 1
    if tools and budget:
        tools[-1] = _marked(tools[-1])
    return tools, system, messages


def _marked(block: dict[str, Any]) -> dict[str, Any]:
    return {**block, "cache_control": dict(EPHEMERAL)}


def count_breakpoints(params: Mapping[str, Any]) -> int:
    """How many ``cache_control`` markers a request carries (for tests and checks)."""
    count = sum("cache_control" in tool for tool in params.get("tools", ()))
    system = params.get("system")
    if isinstance(system, list):
        count += sum("cache_control" in block for block in system)
    for message in params.get("messages", ()):
        content = message.get("content")
        if isinstance(content, list):
            count += sum("cache_control" in block for block in content)
    return count
