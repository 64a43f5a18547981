"""Token estimates for prompts: a fast local count, calibrated by what providers report.

No tokenizer library: every provider tokenizes differently and shipping their
vocabularies is heavy. The local estimate is 4 characters a token for ASCII text
(English prose and code come out within about 20 %), and non-ASCII characters
count more (CJK text is about one token a character, and 4 characters a token
would undercount it four-fold). Each message adds a few tokens of framing.

An image counts ``models.images.image_tokens`` (from its pixel size, the larger of the
providers' formulas).

The estimate is then multiplied by a per-model ratio learnt from the provider's
reported ``input_tokens`` for prompts we estimated (an exponential moving average,
clamped so that one odd answer cannot make the budget useless).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jupyter_codeagent.models import (
    AssistantMessage,
    ImagePart,
    Message,
    SystemMessage,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
)
from jupyter_codeagent.models.images import image_tokens

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4
TOOL_CALL_OVERHEAD = 8
_RATIO_RANGE = (0.5, 3.0)
_SMOOTHING = 0.3


def estimate_text(text: str) -> int:
    """Local estimate of the tokens of ``text``."""
    if not text:
        return 0
    chars = len(text)
    if text.isascii():
        return (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN
    # Each extra UTF-8 byte stands for a rarer character: weigh it in.
    extra = len(text.encode("utf-8", "replace")) - chars
    return (chars + 2 * extra + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def estimate_images(images: Sequence[ImagePart]) -> int:
    return sum(image_tokens(image) for image in images)


def estimate_message(message: Message) -> int:
    if isinstance(message, SystemMessage):
        return MESSAGE_OVERHEAD + estimate_text(message.content)
    if isinstance(message, UserMessage):
        return MESSAGE_OVERHEAD + estimate_text(message.content) + estimate_images(message.images)
    if isinstance(message, ToolResultMessage):
        return (
            MESSAGE_OVERHEAD
            + estimate_text(message.content)
            + estimate_text(message.name)
            + estimate_images(message.images)
        )
    if isinstance(message, AssistantMessage):
        tokens = MESSAGE_OVERHEAD + estimate_text(message.content)
        for call in message.tool_calls:
            tokens += TOOL_CALL_OVERHEAD + estimate_text(call.name)
            tokens += estimate_text(call.raw_arguments or json.dumps(call.arguments or {}))
        return tokens
    raise TypeError(f"not a message: {message!r}")


def estimate_messages(messages: Sequence[Message]) -> int:
    return sum(estimate_message(m) for m in messages)


def estimate_tools(tools: Sequence[ToolSpec]) -> int:
    """Tool definitions are sent with every call and count as input tokens."""
    return sum(
        TOOL_CALL_OVERHEAD
        + estimate_text(t.name)
        + estimate_text(t.description)
        + estimate_text(json.dumps(t.parameters, separators=(",", ":")))
        for t in tools
    )


@dataclass(frozen=True, kw_only=True)
class TokenCalibration:
    """Reported/estimated ratios per model (``"provider:model"``), persisted with memory."""

    ratios: Mapping[str, float] = field(default_factory=dict)

    def ratio(self, model_key: str) -> float:
        return self.ratios.get(model_key, 1.0)

    def calibrated(self, model_key: str, estimate: int) -> int:
        return round(estimate * self.ratio(model_key))

    def observed(self, model_key: str, estimated: int, reported: int) -> TokenCalibration:
        """The calibration with one (estimate, provider-reported) pair folded in."""
        if estimated <= 0 or reported <= 0:
            return self
        sample = min(max(reported / estimated, _RATIO_RANGE[0]), _RATIO_RANGE[1])
        old = self.ratios.get(model_key)
        new = sample if old is None else old + _SMOOTHING * (sample - old)
        return TokenCalibration(ratios={**self.ratios, model_key: round(new, 4)})

    def to_json(self) -> dict[str, float]:
        return dict(self.ratios)

    @classmethod
    def from_json(cls, data: object) -> TokenCalibration:
        ratios: dict[str, float] = {}
        if isinstance(data, Mapping):
            for key, value in data.items():
                if isinstance(key, str) and isinstance(value, (int, float)) and value > 0:
                    ratios[key] = min(max(float(value), _RATIO_RANGE[0]), _RATIO_RANGE[1])
        return cls(ratios=ratios)
