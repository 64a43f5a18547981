"""Keep secrets out of every text this layer produces (errors, logs, reasons).

Provider error messages are outside data: OpenAI's 401, for one, quotes part of the
key. Everything shown to users, models or logs passes through ``scrub``; URLs are
shown without any ``user:password@`` part.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[redacted]"
#: Shorter values are never scrubbed: a placeholder key such as "x" or "none" is no
#: secret, and replacing each "x" turned "exceeds the available context size" into
#: "e[redacted]ceeds the available conte[redacted]t size". Real keys are far longer.
MIN_SECRET_CHARS = 8
_MAX_PROVIDER_TEXT = 400


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret of 8+ characters (and 8-character ends of long ones) replaced."""
    for secret in secrets:
        if len(secret) < MIN_SECRET_CHARS:
            continue
        text = text.replace(secret, REDACTED)
        # Providers echo masked keys ("sk-abc1****wxyz"): hide their visible ends too.
        if len(secret) >= 16:
            for piece in (secret[:8], secret[-8:]):
                text = text.replace(piece, REDACTED)
    return text


def display_url(url: str) -> str:
    """``url`` without credentials, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid URL)"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def shorten(text: str, limit: int = _MAX_PROVIDER_TEXT) -> str:
    """One line, at most ``limit`` characters: provider texts can be long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
