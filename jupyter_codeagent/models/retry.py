"""When and how long to wait before trying a model call again.

The SDKs' own retries are switched off (``max_retries=0``) so that one policy covers
both providers *and* dropped streams, which the SDKs do not retry, and so tests can
make the waits tiny.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential back-off with jitter, bounded by ``max_retries`` extra attempts.

    Attempt ``n`` (0-based) waits a random time in ``[d/2, d]`` with
    ``d = min(max_delay, base_delay * 2**n)`` ("equal jitter": spreads clients that
    failed together without ever retrying at once). A server's ``retry-after`` wins,
    capped by ``max_retry_after`` so a bad header cannot stall a run for an hour.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
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
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling / 2 + rand() * ceiling / 2


class TransientFailure(Exception):
    """A failure worth another attempt: 429, 5xx, timeout, connection or dropped stream."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


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
