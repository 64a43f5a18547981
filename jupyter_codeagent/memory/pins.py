"""``@name`` pins: the user points at a variable or a knowledge topic in a message.

Pins are resolved on the server when the run starts and added to the current step,
so the model has the thing the user means without spending a tool call on it:
a variable (or attribute path, ``@model.coef_``) gets its ``inspect_variable``
description, a knowledge topic its text (``@pipeline``, ``@"sales pipeline"``; a
file name such as ``@glossary`` pins the whole file, capped). Variables win over
topics of the same name: they are what the user is working on.

Text in code spans and fenced blocks is ignored (``@dataclass`` there is code), and
so are e-mail addresses.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

from jupyter_codeagent.errors import CodeAgentError

MAX_PINS = 5
PIN_CHARS = 4_000

_CODE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`", re.DOTALL)
_PIN = re.compile(r'(?<![\w@.\-/])@(?:"([^"\n]{1,80})"|([A-Za-z_][\w.\-]*))')
_IDENTIFIER_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True, kw_only=True)
class Pin:
    name: str
    kind: Literal["variable", "topic", "unknown"]
    label: str = ""
    text: str = ""

    def render(self) -> str:
        if self.kind == "unknown":
            return f"@{self.name}: no variable or knowledge topic has this name."
        text = self.text
        if len(text) > PIN_CHARS:
            text = text[:PIN_CHARS] + f"\n[... {len(self.text) - PIN_CHARS:,} more characters]"
        return f"@{self.name} ({self.label}):\n{text}"


def pin_names(text: str) -> list[str]:
    """The distinct names pinned in ``text``, in order, at most ``MAX_PINS``."""
    names: list[str] = []
    for match in _PIN.finditer(_CODE.sub(" ", text)):
        name = (match.group(1) or match.group(2) or "").strip().rstrip(".-")
        if name and name not in names:
            names.append(name)
    return names[:MAX_PINS]


InspectVariable = Callable[[str], Awaitable[Any]]  # -> ToolText-like (text, ok) or None
FindTopic = Callable[[str], Awaitable[Any]]  # -> TopicHit-like or None


async def resolve_pins(
    text: str,
    *,
    variables: Collection[str] | None,
    inspect: InspectVariable | None,
    find_topic: FindTopic | None,
) -> list[Pin]:
    """Resolve every pin of ``text``; ``variables`` None means "kernel unknown, just try"."""
    pins: list[Pin] = []
    for name in pin_names(text):
        pin = await _as_variable(name, variables, inspect)
        if pin is None and find_topic is not None:
            hit = await find_topic(name)
            if hit is not None:
                pin = Pin(
                    name=name,
                    kind="topic",
                    label=f"knowledge topic {hit.heading}, source {hit.source}",
                    text=hit.body,
                )
        pins.append(pin or Pin(name=name, kind="unknown"))
    return pins


async def _as_variable(
    name: str, variables: Collection[str] | None, inspect: InspectVariable | None
) -> Pin | None:
    if inspect is None or not _IDENTIFIER_PATH.fullmatch(name):
        return None
    if variables is not None and name.split(".", 1)[0] not in variables:
        return None
    try:
        result = await inspect(name)
    except CodeAgentError:  # no kernel to ask: the pin stays unresolved, the run goes on
        return None
    if result is None or not getattr(result, "ok", False):
        return None
    return Pin(
        name=name,
        kind="variable",
        label="variable, as inspect_variable shows it",
        text=str(result.text),
    )
