"""Secrets out of everything a run stores or sends (events, the cells table, the notebook,
messages, the audit log, model requests): the configured keys and the server's
credential-named environment variables become ``[redacted]``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..events import E
from ..kernel.secrets import scrub
from ..models.messages import AssistantMessage, Message


@dataclass(frozen=True)
class Redactor:
    """Takes the configured secrets (and the server environment's credentials) out of
    everything a run stores or sends: events, the cells table, the notebook, messages,
    the audit log and what the models are shown."""

    secrets: tuple[str, ...] = ()

    def text(self, value: str) -> str:
        return scrub(value, self.secrets)

    def event(self, event: E) -> E:
        return event.map_text(self.text) if self.secrets else event

    def messages(self, messages: Sequence[Message]) -> list[Message]:
        """What a model is sent: every text of every message (the session context lists
        files with their first line, tool results quote cells and files...)."""
        if not self.secrets:
            return list(messages)
        return [self._message(m) for m in messages]

    def _message(self, message: Message) -> Message:
        if isinstance(message, AssistantMessage) and message.tool_calls:
            calls = tuple(
                replace(
                    c,
                    raw_arguments=self.text(c.raw_arguments),
                    arguments=self._value(c.arguments) if c.arguments is not None else None,
                )
                for c in message.tool_calls
            )
            return replace(message, content=self.text(message.content), tool_calls=calls)
        return replace(message, content=self.text(message.content))

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v) for v in value]
        return value
