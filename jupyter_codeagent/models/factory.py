"""Turn ``ModelSettings`` into a ``ChatModel``, and say precisely what is missing.

``check_configuration`` never touches the network (the health route calls it on
every request); ``probe_base_url`` is the one check that does, for custom URLs only.
The reasons are shown to users as they are, so each names the variable to set.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from jupyter_codeagent.errors import ConfigurationError
from jupyter_codeagent.models.base import ChatModel, ModelOptions
from jupyter_codeagent.models.redact import display_url
from jupyter_codeagent.models.retry import RetryPolicy
from jupyter_codeagent.settings import PROVIDERS, ROLES, ModelSettings

NOT_CONFIGURED = (
    "No language model is configured. Set CODEAGENT_PROVIDER and CODEAGENT_MODEL, and a key: "
    "for OpenAI, CODEAGENT_PROVIDER=openai, CODEAGENT_MODEL=gpt-4.1-mini and OPENAI_API_KEY; "
    "for Anthropic, CODEAGENT_PROVIDER=anthropic, CODEAGENT_MODEL=claude-haiku-4-5 and "
    "ANTHROPIC_API_KEY; for Ollama or another OpenAI-compatible server, "
    "CODEAGENT_PROVIDER=openai, OPENAI_BASE_URL=http://localhost:11434/v1 and CODEAGENT_MODEL "
    "set to a model it serves (e.g. llama3.1), no key needed. Then restart JupyterLab."
)


@dataclass(frozen=True)
class Readiness:
    """Whether a model can be built; ``reason`` tells the user what to fix."""

    ready: bool
    provider: str
    model: str
    reason: str | None = None


def check_configuration(settings: ModelSettings) -> Readiness:
    """Check provider, model, key and base URL shape, without any network access."""
    provider = settings.provider.strip().lower()
    model = settings.model

    def not_ready(reason: str) -> Readiness:
        return Readiness(ready=False, provider=provider, model=model, reason=reason)

    if not provider:
        return not_ready(NOT_CONFIGURED)
    if provider not in PROVIDERS:
        return not_ready(
            f"Unknown CODEAGENT_PROVIDER {settings.provider.strip()!r}: use 'openai' (also for "
            "Ollama, vLLM, LM Studio or Azure OpenAI through OPENAI_BASE_URL) or 'anthropic'."
        )
    if not model and not all(settings.role_models.get(role) for role in ROLES):
        example = "gpt-4.1-mini" if provider == "openai" else "claude-haiku-4-5"
        return not_ready(
            f"CODEAGENT_MODEL is not set: name the {provider} model to use "
            f"(e.g. CODEAGENT_MODEL={example})."
        )
    if provider == "openai":
        base_url, key = settings.openai_base_url, settings.openai_api_key
        if base_url and (problem := _url_problem(base_url, "OPENAI_BASE_URL")):
            return not_ready(problem)
        if not base_url and not key:
            return not_ready(
                "OPENAI_API_KEY is not set. Set it to your OpenAI API key, or point "
                "OPENAI_BASE_URL at an OpenAI-compatible server that needs no key "
                "(e.g. Ollama: OPENAI_BASE_URL=http://localhost:11434/v1)."
            )
    else:
        base_url, key = settings.anthropic_base_url, settings.anthropic_api_key
        if base_url and (problem := _url_problem(base_url, "ANTHROPIC_BASE_URL")):
            return not_ready(problem)
        if not base_url and not key:
            return not_ready("ANTHROPIC_API_KEY is not set. Set it to your Anthropic API key.")
    return Readiness(ready=True, provider=provider, model=model)


def build_chat_model(
    settings: ModelSettings,
    role: str,
    *,
    retry: RetryPolicy | None = None,
    options: ModelOptions | None = None,
) -> ChatModel:
    """The model for ``role`` (its own model if configured, else the default).

    ``retry`` overrides the back-off (tests use tiny delays); by default it allows
    ``settings.max_retries`` retries. ``options`` carries the per-model limits
    (``max_output_tokens``, ``max_tool_calls``, ``context_window``, ``prompt_caching``).
    Raises ``ConfigurationError`` with the reason ``check_configuration`` gives.
    """
    if role not in ROLES:
        raise ConfigurationError(
            f"Unknown agent role {role!r}; expected one of {', '.join(ROLES)}."
        )
    readiness = check_configuration(settings)
    if not readiness.ready:
        raise ConfigurationError(readiness.reason or "The model is not configured.")
    model = settings.model_for(role)
    if not model:
        raise ConfigurationError(f"No model for the {role}: set CODEAGENT_MODEL.")
    if readiness.provider == "openai":
        # The SDKs take seconds to import: only the configured one is loaded, on first use.
        from jupyter_codeagent.models.openai_model import OpenAIChatModel

        return OpenAIChatModel(settings=settings, model=model, retry=retry, options=options)
    from jupyter_codeagent.models.anthropic_model import AnthropicChatModel

    return AnthropicChatModel(settings=settings, model=model, retry=retry, options=options)


async def probe_base_url(settings: ModelSettings, timeout: float = 2.0) -> str | None:
    """None if the configured custom base URL accepts connections, else why not.

    Only custom base URLs are probed (a TCP connect, no request, no credentials): the
    public APIs are assumed reachable, and probing them would cost a round trip to
    the internet on every health check.
    """
    provider = settings.provider.strip().lower()
    if provider == "openai":
        url, variable = settings.openai_base_url, "OPENAI_BASE_URL"
    elif provider == "anthropic":
        url, variable = settings.anthropic_base_url, "ANTHROPIC_BASE_URL"
    else:
        return None
    if not url:
        return None
    shown = display_url(url)
    if problem := _url_problem(url, variable):
        return problem
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        return f"cannot reach {shown} (no answer within {timeout:g}s); check {variable}."
    except ConnectionRefusedError:
        return (
            f"cannot reach {shown} (connection refused): is the server running? Check {variable}."
        )
    except socket.gaierror:
        return f"cannot reach {shown} (unknown host {host!r}); check {variable}."
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        return f"cannot reach {shown} ({detail}); check {variable}."
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


def _url_problem(url: str, variable: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return f"{variable} is not a valid URL: {display_url(url)!r}."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            f"{variable} must be an http:// or https:// URL "
            f"(e.g. http://localhost:11434/v1), not {display_url(url)!r}."
        )
    return None
