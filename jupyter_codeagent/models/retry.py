"""How model calls are retried: by the SDKs, with our waits and two additions.

The official SDKs retry a request themselves (``max_retries``): on connection errors,
timeouts, 408, 409, 429 and 5xx, with an idempotency key, honouring ``retry-after``
and ``x-should-retry``. We keep that loop and add only what it lacks:

- ``RetryPolicy`` sets how long the SDK waits (``PolicyBackoff``): a server's
  ``retry-after`` wins but is capped, so a bad header cannot stall a run for hours
  (Anthropic's SDK would wait any length), and tests can make every wait tiny
  (``RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.005)``).
- ``observe_retries`` logs each failed attempt, and marks a 429 that means "the
  account's quota is used up" as not worth retrying (``x-should-retry: false``):
  waiting does not refill a quota.
- A stream that breaks after its response started is outside the SDK loop; the
  models try it again while none of it was delivered (``SdkChatModel.stream``).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger("jupyter_codeagent.models")

# Error codes/types of a 429 that waiting will not fix (OpenAI and compatible services).
_QUOTA_MARKERS = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
    }
)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Up to ``max_retries`` extra attempts, exponential back-off with jitter.

    Attempt ``n`` (0-based) waits a random time in ``[d/2, d]`` with
    ``d = min(max_delay, base_delay * 2**n)`` ("equal jitter": spreads clients that
    failed together without ever retrying at once). A server's ``retry-after`` wins,
    capped by ``max_retry_after``. The defaults are the SDKs' own (0.5 s to 8 s).
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        *,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(attempt, 60)))
        return ceiling / 2 + rand() * ceiling / 2


class PolicyBackoff:
    """Mixed into an SDK client class: the SDK runs its retry loop, ``retry_policy`` waits.

    ``_calculate_retry_timeout`` is the one SDK hook we override (both SDKs have it,
    with this signature); ``tests/test_models_providers.py`` fails if it stops being
    called, because the fast test policy would no longer apply.
    """

    retry_policy: RetryPolicy | None = None
    max_retries: int

    def _calculate_retry_timeout(
        self, remaining_retries: int, options: Any, response_headers: Any = None
    ) -> float:
        policy = self.retry_policy
        if policy is None:  # a copy the SDK made (``with_options``) keeps the SDK's waits
            parent: Any = super()
            return float(
                parent._calculate_retry_timeout(remaining_retries, options, response_headers)
            )
        attempt = max(0, self.max_retries - remaining_retries)
        return policy.delay(attempt, parse_retry_after(response_headers))


def observe_retries(
    *, label: str, max_retries: int, clean: Callable[[str], str]
) -> Callable[[httpx2.Response], Awaitable[None]]:
    """An httpx response hook for a model's client, run before the SDK sees the response.

    For a retryable status it logs what went wrong (the SDK retries quietly), and a 429
    that means "the account's quota is used up" gets ``x-should-retry: false`` so the
    SDK gives up at once: waiting does not refill a quota. Error bodies are small JSON;
    reading one here leaves it cached for the SDK, which reads it again.
    """

    async def observe(response: httpx2.Response) -> None:
        status = response.status_code
        if not (status in (408, 409, 429) or status >= 500):
            return
        await response.aread()
        code, error_type, message = _error_fields(response.content)
        if status == 429 and is_quota_error(code, error_type):
            response.headers["x-should-retry"] = "false"
            return
        taken = retries_taken(response.request)
        if taken < max_retries and response.headers.get("x-should-retry") != "false":
            log.warning(
                "%s: HTTP %d (%s); retrying (attempt %d of %d)",
                label,
                status,
                clean(message) or "no details",
                taken + 2,
                max_retries + 1,
            )

    return observe


def is_quota_error(code: object, error_type: object = None) -> bool:
    """Whether an error's ``code``/``type`` says the account's quota is used up."""
    return str(code) in _QUOTA_MARKERS or str(error_type) in _QUOTA_MARKERS


def _error_fields(content: bytes) -> tuple[object, object, str]:
    """``(code, type, message)`` of an error body in OpenAI's or Anthropic's shape."""
    try:
        body = json.loads(content)
    except ValueError:
        return None, None, content[:200].decode("utf-8", "replace")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return None, None, error
    if not isinstance(error, dict):
        return None, None, ""
    return error.get("code"), error.get("type"), str(error.get("message") or "")


def retries_taken(request: httpx2.Request | None) -> int:
    """How many retries the SDK had made when it sent ``request`` (its own header)."""
    if request is None:
        return 0
    try:
        return max(0, int(request.headers.get("x-stainless-retry-count", "0")))
    except ValueError:
        return 0


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
