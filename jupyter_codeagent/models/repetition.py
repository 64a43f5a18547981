"""Stop a streamed answer that has fallen into a loop.

Small local models sometimes repeat one line or phrase until ``max_output_tokens``: at
10 tokens a second a 4,096-token loop keeps the user waiting seven minutes for text
nobody can use (seen with Qwen2.5-Coder-0.5B on llama.cpp). When the last
``WINDOW`` characters of an answer are one short unit repeated, the stream is closed
and the answer ends there, as if cut at its token limit.
"""

from __future__ import annotations

#: Characters the repetition must cover before the answer counts as looping.
WINDOW = 800
#: The longest repeated unit looked for (a line of code, a sentence).
MAX_PERIOD = 200
#: Check only every so many new characters: the check compares strings of WINDOW.
CHECK_EVERY = 200


class RepetitionWatch:
    """Fed the streamed text (and tool-call arguments) piece by piece."""

    def __init__(self) -> None:
        self._tail = ""
        self._unchecked = 0

    def looping(self, piece: str) -> bool:
        self._tail = (self._tail + piece)[-WINDOW:]
        self._unchecked += len(piece)
        if self._unchecked < CHECK_EVERY or len(self._tail) < WINDOW:
            return False
        self._unchecked = 0
        return repeats(self._tail)


def repeats(text: str) -> bool:
    """Whether ``text`` is one unit of at most ``MAX_PERIOD`` characters, repeated (the
    first repetition may be partial). Runs of whitespace do not count: long indentation
    or blank lines are not a loop worth cutting."""
    for period in range(1, min(MAX_PERIOD, len(text) // 4) + 1):
        unit = text[-period:]
        if not unit.strip():
            continue
        if (unit * (len(text) // period + 1))[-len(text) :] == text:
            return True
    return False
