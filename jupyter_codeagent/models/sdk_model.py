"""What the OpenAI and Anthropic models share: the retry loops and error wording.

A provider module implements one attempt (``_complete_once``/``_stream_once``) and
says which SDK exceptions mean what (``_classify``); this class decides whether to
try again, how long to wait, and what the user finally reads.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from jupyter_codeagent.errors import (
    ModelAuthError,
    ModelContextLengthError,
    ModelError,
    ModelUnavailableError,
)
from jupyter_codeagent.models.base import ChatModel
from jupyter_codeagent.models.messages import (
    Message,
    ModelResponse,
    StreamEvent,
    StreamFinished,
    ToolSpec,
)
from jupyter_codeagent.models.redact import display_url, scrub, shorten
from jupyter_codeagent.models.retry import RetryPolicy, TransientFailure
from jupyter_codeagent.settings import ModelSettings

log = logging.getLogger("jupyter_codeagent.models")

Sleep = Callable[[float], Awaitable[None]]
_CONTEXT_HINTS = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
)


@dataclass(frozen=True, kw_only=True)
class ModelRequest:
    """The arguments of one ``complete()``/``stream()`` call, passed to each attempt."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    max_tokens: int | None
    temperature: float | None


class SdkChatModel(ChatModel):
    """A ``ChatModel`` over an official SDK, with our retry policy around each call."""

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
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self._timeout = settings.request_timeout
        self._secrets = settings.secrets()
        self._retry = retry or RetryPolicy(max_retries=settings.max_retries)
        self._sleep = sleep

    @property
    def label(self) -> str:
        """How messages name this model: provider, model and where it is served."""
        return f"{self.provider} model '{self.model}' at {display_url(self.base_url)}"

    # --- provider hooks --------------------------------------------------------------

    @abstractmethod
    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        """One attempt of a non-streaming call."""

    @abstractmethod
    def _stream_once(self, request: ModelRequest) -> AsyncGenerator[StreamEvent, None]:
        """One attempt of a streaming call; raise ``TransientFailure`` if it drops."""

    @abstractmethod
    def _classify(self, exc: Exception) -> ModelError | TransientFailure | None:
        """Map an SDK exception; None means "not a model failure" (it propagates)."""

    # --- the public calls ----------------------------------------------------------

    async def complete(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ModelResponse:
        request = ModelRequest(
            messages=tuple(messages),
            tools=tuple(tools),
            max_tokens=max_tokens,
            temperature=temperature,
        )
        attempt = 0
        while True:
            try:
                return await self._complete_once(request)
            except Exception as exc:
                failure = self._failure(exc)
            await self._back_off(attempt, failure)
            attempt += 1

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        request = ModelRequest(
            messages=tuple(messages),
            tools=tuple(tools),
            max_tokens=max_tokens,
            temperature=temperature,
        )
        attempt = 0
        while True:
            delivered = False
            try:
                async with aclosing(self._stream_once(request)) as events:
                    async for event in events:
                        delivered = delivered or not isinstance(event, StreamFinished)
                        yield event
                return
            except Exception as exc:
                failure = self._failure(exc)
            if delivered:
                # A stream that breaks after deltas reached the consumer is not restarted:
                # the UI has shown that text and the agent may have acted on a finished tool
                # call, and a second answer need not repeat the first, so the two cannot be
                # spliced. The agent loop gets a clear error and decides (retry the step).
                raise ModelUnavailableError(
                    f"The answer of the {self.label} broke off after it had started "
                    f"({failure.reason.rstrip('.')}); the partial answer was not retried."
                )
            await self._back_off(attempt, failure)
            attempt += 1

    # --- shared failure handling ---------------------------------------------------

    def _failure(self, exc: Exception) -> TransientFailure:
        """Return a retryable failure, or raise the typed error the user will see."""
        if isinstance(exc, TransientFailure):
            return exc
        if isinstance(exc, ModelError):
            raise exc
        verdict = self._classify(exc)
        if verdict is None:
            raise exc
        if isinstance(verdict, ModelError):
            raise verdict from None  # the SDK exception may quote credentials
        return verdict

    async def _back_off(self, attempt: int, failure: TransientFailure) -> None:
        if attempt >= self._retry.max_retries:
            tries = "1 attempt" if attempt == 0 else f"{attempt + 1} attempts"
            raise ModelUnavailableError(
                f"The {self.label} is unavailable: gave up after {tries}. "
                f"Last problem: {failure.reason.rstrip('.')}."
            )
        delay = self._retry.delay(attempt, failure.retry_after)
        log.warning(
            "%s: %s; retrying in %.2fs (attempt %d of %d)",
            self.label,
            failure.reason,
            delay,
            attempt + 2,
            self._retry.max_retries + 1,
        )
        await self._sleep(delay)

    def _text(self, text: str) -> str:
        """Provider text made safe to show: one line, short, secrets removed."""
        return shorten(scrub(text, self._secrets))

    def status_failure(
        self,
        status: int,
        message: str,
        *,
        retry_after: float | None = None,
        context_length: bool = False,
        quota: bool = False,
    ) -> ModelError | TransientFailure:
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
        if context_length or is_context_length_message(message):
            return ModelContextLengthError(
                f"The conversation is too long for the {self.label}: {detail}"
            )
        if status == 429 and quota:
            return ModelUnavailableError(
                f"The {self.label} refused the request: the account's quota is used up "
                f"(HTTP 429: {detail})."
            )
        if status in (408, 409, 429) or status >= 500:
            return TransientFailure(f"HTTP {status}: {detail}", retry_after=retry_after)
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

    def connection_failure(self, exc: BaseException, *, timed_out: bool) -> TransientFailure:
        """A timeout or a connection problem, named with its root cause."""
        if timed_out:
            return TransientFailure(f"no answer within {self._timeout:g}s")
        cause = exc.__cause__ or exc.__context__ or exc
        reason = self._text(str(cause)) or type(cause).__name__
        return TransientFailure(f"connection problem ({reason})")


def is_context_length_message(message: str) -> bool:
    """Whether a provider's error text says the prompt exceeds the context window."""
    lowered = message.lower()
    return any(hint in lowered for hint in _CONTEXT_HINTS)
