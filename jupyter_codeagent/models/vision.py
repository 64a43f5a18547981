"""Which models are shown images: the ``vision`` setting and the known vision models.

``auto`` trusts only model names known to accept images (OpenAI's GPT-4o, GPT-4.1,
GPT-5 and o-series reasoning models, Anthropic's Claude 3 and 4, Google's Gemini);
an unknown or local model stays text-only unless the user says ``on``, because a
server that does not take images rejects the whole request.
"""

from __future__ import annotations

import re

from ..settings import VISION_MODES, ModelSettings

__all__ = ["VISION_MODES", "known_vision_model", "sees_images"]

_KNOWN = re.compile(
    r"""^(?:
        gpt-4o | chatgpt-4o | gpt-4\.1 | gpt-4\.5 | gpt-5 | gpt-4-turbo | gpt-4-vision
      | o1(?!-mini|-preview) | o3(?!-mini) | o4
      | claude-3 | claude-(?:opus|sonnet|haiku)-4 | claude-4
      | gemini-(?:1\.5|2|3)
    )""",
    re.VERBOSE,
)


def known_vision_model(model: str) -> bool:
    """Whether ``model`` (``gpt-4o-mini``, ``openai/gpt-4.1``, ``claude-sonnet-4-5``...)
    is known to accept images."""
    name = model.strip().lower().rsplit("/", 1)[-1]  # "openai/gpt-4o" on routers
    return bool(_KNOWN.match(name))


def sees_images(settings: ModelSettings, role: str) -> bool:
    """Whether ``role``'s model is sent images under ``settings.vision``."""
    if settings.vision == "on":
        return True
    if settings.vision == "off":
        return False
    return known_vision_model(settings.model_for(role))
