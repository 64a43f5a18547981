"""The models of the running server, one per distinct configuration, built on first use.

Runs get their model through ``for_role(settings, role)``: two runs with the same
settings share a client (and its connection pool); a run whose user chose another
model gets its own. Clients are closed when the server stops.
"""

from __future__ import annotations

import hashlib

from ..settings import ModelSettings
from .base import ChatModel, ModelOptions
from .factory import build_chat_model

# Enough for a handful of model choices per server; the oldest client beyond it is closed.
MAX_CLIENTS = 16


def _key(settings: ModelSettings, role: str) -> tuple[str, ...]:
    provider = settings.provider.strip().lower()
    base_url = settings.openai_base_url if provider == "openai" else settings.anthropic_base_url
    key = settings.openai_api_key if provider == "openai" else settings.anthropic_api_key
    # The key takes part only as a digest: the cache key may show up in a debugger.
    digest = hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""
    return (
        provider,
        settings.model_for(role),
        base_url,
        digest,
        f"{settings.request_timeout:g}",
        str(settings.max_retries),
        repr(options_of(settings)),
    )


def options_of(settings: ModelSettings) -> ModelOptions:
    """The per-model limits the settings ask for."""
    return ModelOptions(
        max_output_tokens=settings.max_output_tokens,
        max_tool_calls=settings.max_tool_calls,
        context_window=settings.context_window or None,
        prompt_caching=settings.prompt_caching,
    )


class ModelRegistry:
    """``ChatModel`` objects keyed by what makes two configurations different."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, ...], ChatModel] = {}
        self._retired: list[ChatModel] = []

    def for_role(self, settings: ModelSettings, role: str) -> ChatModel:
        """The role's model under ``settings`` (``ConfigurationError`` when there is none)."""
        key = _key(settings, role)
        model = self._models.get(key)
        if model is None:
            model = build_chat_model(settings, role, options=options_of(settings))
            self._models[key] = model
            if len(self._models) > MAX_CLIENTS:
                oldest = next(iter(self._models))
                # A run may still hold it: closed at shutdown, not now.
                self._retired.append(self._models.pop(oldest))
        return model

    async def aclose(self) -> None:
        models = [*self._models.values(), *self._retired]
        self._models.clear()
        self._retired.clear()
        for model in models:
            await model.aclose()
