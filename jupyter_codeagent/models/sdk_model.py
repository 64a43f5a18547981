"""What the OpenAI and Anthropic models share: error wording, stream re-attempts, caps.

A provider module implements one call (``_complete_once``/``_stream_once``) and says
which SDK exceptions mean what (``_classify``). Requests are retried by the SDK
(``retry.py``); this class re-attempts only a stream that broke before any of it was
delivered, applies the tool-call cap and caches the context window.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from jupyter_codeagent.errors import (
    ModelAuthError,
    ModelContextLengthError,
    ModelError,
    ModelStreamInterrupted,
    ModelUnavailableError,
)
from jupyter_codeagent.models.base import ChatModel, ModelOptions, cap_tool_calls
from jupyter_codeagent.models.context_errors import is_context_length_error
from jupyter_codeagent.models.context_window import ContextWindow
from jupyter_codeagent.models.messages import (
    Message,
    ModelResponse,
    StreamEvent,
    StreamFinished,
    ToolCallReady,
    ToolSpec,
)
from jupyter_codeagent.models.pricing import catalogue_context_window
from jupyter_codeagent.models.redact import display_url, scrub, shorten
from jupyter_codeagent.models.retry import RetryPolicy, retries_taken
from jupyter_codeagent.settings import ModelSettings

log = logging.getLogger("jupyter_codeagent.models")


@dataclass(frozen=True, kw_only=True)
class ModelRequest:
    """The arguments of one ``complete()``/``stream()`` call, passed to each attempt."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    max_tokens: int | None
    temperature: float | None


@dataclass(frozen=True)
class Transient:
    """``_classify``'s verdict for a failure that another attempt may cure."""

    reason: str


class SdkChatModel(ChatModel):
    """A ``ChatModel`` over an official SDK."""

    provider: str
    #: The settings variables a user fixes for auth / URL problems (used in messages).
    key_variable: str
    url_variable: str

    def __init__(
        self,
        *,
        settings: ModelSettings,
        model: str,
        base_url: str,
        retry: RetryPolicy | None = None,
        options: ModelOptions | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.options = options or ModelOptions()
        self._timeout = settings.request_timeout
        self._secrets = settings.secrets()
        self._retry = retry or RetryPolicy(max_retries=max(0, settings.max_retries))
        self._window: ContextWindow | None = None
        self._window_lock = asyncio.Lock()

    @property
    def label(self) -> str:
        """How messages name this model: provider, model and where it is served."""
        return f"{self.provider} model '{self.model}' at {display_url(self.base_url)}"

    # --- provider hooks --------------------------------------------------------------

    @abstractmethod
    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        """One non-streaming call (the SDK retries it)."""

    @abstractmethod
    def _stream_once(self, request: ModelRequest) -> AsyncGenerator[StreamEvent, None]:
        """One streaming call; raise ``ModelStreamInterrupted`` if it ends early."""

    @abstractmethod
    def _classify(self, exc: Exception) -> ModelError | Transient | None:
        """Map an SDK exception; None means "not a model failure" (it propagates)."""

    async def _discover_context_window(self) -> ContextWindow:
        """Where this provider learns the window when no setting gives it."""
        tokens = catalogue_context_window(
            self.model, provider=self.provider, base_url=self.base_url
        )
        return (
            ContextWindow(tokens=tokens, source="genai-prices")
            if tokens
            else ContextWindow.unknown()
        )

    # --- the public calls ----------------------------------------------------------

    async def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ModelResponse:
        request = self._request(messages, tools, max_tokens, temperature)
        try:
            response = await self._complete_once(request)
        except Exception as exc:
            raise self._final_error(exc) from None  # the SDK exception may quote credentials
        return cap_tool_calls(response, self.options.max_tool_calls)

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        request = self._request(messages, tools, max_tokens, temperature)
        limit = self.options.max_tool_calls
        attempt = 0
        while True:
            delivered = False
            ready = 0
            try:
                async with aclosing(self._stream_once(request)) as events:
                    async for event in events:
                        if isinstance(event, StreamFinished):
                            response = cap_tool_calls(event.response, limit)
                            yield StreamFinished(response=response)
                            continue
                        if isinstance(event, ToolCallReady):
                            ready += 1
                            if limit is not None and ready > limit:
                                continue  # reported in the final response's dropped calls
                        delivered = True
                        yield event
                return
            except ModelStreamInterrupted as exc:
                interrupted = exc
            except Exception as exc:
                raise self._final_error(exc) from None
            if delivered:
                # A stream that breaks after deltas reached the consumer is not restarted:
                # the UI has shown that text and the agent may have acted on a finished tool
                # call, and a second answer need not repeat the first, so the two cannot be
                # spliced. The agent loop gets a clear error and decides (retry the step).
                raise ModelUnavailableError(
                    f"The answer of the {self.label} broke off after it had started "
                    f"({interrupted.reason.rstrip('.')}); the partial answer was not retried."
                )
            if attempt >= self._retry.max_retries:
                raise self._gave_up(attempt + 1, interrupted.reason)
            delay = self._retry.delay(attempt)
            log.warning(
                "%s: %s; retrying in %.2fs (attempt %d of %d)",
                self.label,
                interrupted.reason,
                delay,
                attempt + 2,
                self._retry.max_retries + 1,
            )
            await asyncio.sleep(delay)
            attempt += 1

    async def context_window(self) -> ContextWindow:
        if self._window is None:
            async with self._window_lock:
                if self._window is None:
                    if self.options.context_window:
                        found = ContextWindow(tokens=self.options.context_window, source="setting")
                    else:
                        found = await self._discover_context_window()
                    log.info("%s: context window %s (%s)", self.label, found.tokens, found.source)
                    self._window = found
        return self._window

    # --- shared failure handling ---------------------------------------------------

    def _request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        max_tokens: int | None,
        temperature: float | None,
    ) -> ModelRequest:
        return ModelRequest(
            messages=tuple(messages),
            tools=tuple(tools),
            max_tokens=max_tokens if max_tokens is not None else self.options.max_output_tokens,
            temperature=temperature,
        )

    def _final_error(self, exc: Exception) -> Exception:
        """The error to raise for ``exc`` once the SDK has made all its attempts."""
        if isinstance(exc, ModelError):
            return exc
        verdict = self._classify(exc)
        if verdict is None:
            return exc
        if isinstance(verdict, Transient):
            return self._gave_up(retries_taken(_request_of(exc)) + 1, verdict.reason)
        return verdict

    def _interrupted(self, exc: Exception) -> Exception:
        """The error for ``exc`` raised while a started stream was read."""
        if isinstance(exc, ModelError):
            return exc
        verdict = self._classify(exc)
        if verdict is None:
            return exc
        if isinstance(verdict, Transient):
            return ModelStreamInterrupted(verdict.reason, reason=verdict.reason)
        return verdict

    def _gave_up(self, attempts: int, reason: str) -> ModelUnavailableError:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        return ModelUnavailableError(
            f"The {self.label} is unavailable: gave up after {tries}. "
            f"Last problem: {reason.rstrip('.')}."
        )

    def _text(self, text: str) -> str:
        """Provider text made safe to show: one line, short, secrets removed."""
        return shorten(scrub(text, self._secrets))

    def status_failure(
        self,
        status: int,
        message: str,
        *,
        code: object = None,
        error_type: object = None,
        quota: bool = False,
    ) -> ModelError | Transient:
        """The common meaning of an HTTP error status from a model API."""
        detail = self._text(message).rstrip(".") or "no details"
        if status == 401:
            # Never echo the provider's text here: some quote (part of) the key.
            return ModelAuthError(
                f"The {self.label} refused the credentials (HTTP 401). Check {self.key_variable}."
            )
        if status == 403:
            return ModelAuthError(
                f"The {self.label} denied access (HTTP 403: {detail}). "
                f"Check {self.key_variable} and that it may use this model."
            )
        if is_context_length_error(message, code=code, error_type=error_type):
            return ModelContextLengthError(
                f"The conversation is too long for the {self.label}: {detail}"
            )
        if status == 429 and quota:
            return ModelUnavailableError(
                f"The {self.label} refused the request: the account's quota is used up "
                f"(HTTP 429: {detail})."
            )
        if status in (408, 409, 429) or status >= 500:
            return Transient(f"HTTP {status}: {detail}")
        if status == 404:
            return ModelError(
                f"The {self.label} was not found (HTTP 404: {detail}). "
                f"Check CODEAGENT_MODEL and {self.url_variable}."
            )
        if status == 413:
            return ModelContextLengthError(
                f"The request is too large for the {self.label} (HTTP 413: {detail})."
            )
        return ModelError(f"The {self.label} rejected the request (HTTP {status}: {detail}).")

    def connection_failure(self, exc: BaseException, *, timed_out: bool) -> Transient:
        """A timeout or a connection problem, named with its root cause."""
        if timed_out:
            return Transient(f"no answer within {self._timeout:g}s")
        cause = exc.__cause__ or exc.__context__ or exc
        reason = self._text(str(cause)) or type(cause).__name__
        return Transient(f"connection problem ({reason})")


def _request_of(exc: BaseException) -> Any:
    """The HTTP request an SDK exception is about (its last attempt), if it says."""
    response = getattr(exc, "response", None)
    try:
        return getattr(response, "request", None) or getattr(exc, "request", None)
    except RuntimeError:  # httpx raises when an error was made without a request
        return None
