"""What keeps a weak model from going round in circles.

- ``RepeatGuard``: the same call with the same arguments, with nothing changed since
  (no cell, no plan change), is not run again: the model is told to use the result it
  already has. Small models call ``inspect_variable`` or ``update_task`` dozens of
  times in a row otherwise.
- ``dropped_note``: calls beyond the per-reply cap were not run; the model is told
  which, in the last result it gets (a separate message would break the turn order
  some providers require).
"""

from __future__ import annotations

import json
from dataclasses import replace

from ..models import ToolCall, ToolResultMessage
from ..tools import RunContext

#: Replies in a row that changed nothing (no cell, no plan change) before a role is
#: stopped: it is not getting anywhere, and each reply costs a model call.
MAX_IDLE_REPLIES = 4


class RepeatGuard:
    """Remembers the calls made since the run last made progress."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def refusal(self, run: RunContext, call: ToolCall) -> str | None:
        """None to run ``call``; else why it is not run again."""
        key = call.name + json.dumps(call.arguments, sort_keys=True, default=str)
        if self._seen.get(key) == run.progress:
            return (
                f"You already called `{call.name}` with these arguments and nothing has "
                "changed since: its result is above. Use it and take the next step "
                "(propose_cell with the code, or finish) instead of asking again."
            )
        self._seen[key] = run.progress
        return None


def dropped_note(
    results: list[ToolResultMessage], dropped: tuple[ToolCall, ...], kept: int
) -> list[ToolResultMessage]:
    """``results`` with a note on the calls that were dropped (none run)."""
    if not dropped or not results:
        return results
    names = ", ".join(call.name for call in dropped)
    note = (
        f"\n\n(Only the first {kept} tool calls of your reply were run; {len(dropped)} more "
        f"were dropped and not run: {names}. Make one call at a time.)"
    )
    last = results[-1]
    return [*results[:-1], replace(last, content=last.content + note)]
