"""Scrub secret values out of text before a model (or a user) sees it.

Secrets are the configured API keys plus the values of server-process environment
variables whose *names* look like credentials (``OPENAI_API_KEY``, ``GITHUB_TOKEN``,
``DB_PASSWORD``...). Kernel output is untrusted text: a cell that prints
``os.environ`` must not hand the keys to a model provider.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

REDACTED = "[redacted]"

# A name part (split on non-letters) that marks a credential; the suffix form also
# catches glued names such as APIKEY / SECRETKEY / AUTHTOKEN / OAUTH.
_SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PWD|CREDENTIAL|AUTH)S?$|^PAT$",
    re.IGNORECASE,
)
# Names that match the pattern but hold no secret (paths, sockets, switches).
_NOT_SECRET = frozenset({"PWD", "OLDPWD", "XAUTHORITY", "SSH_AUTH_SOCK", "GPG_AGENT_INFO"})
# Values shorter than this are never scrubbed: env flags ("1", "true") and placeholder
# keys ("x", "none") are not secrets, and replacing every "x" in a text wrecked it
# ("e[redacted]ceeds the available conte[redacted]t size"). Real keys are far longer.
MIN_SECRET_CHARS = 8


def looks_like_secret_name(name: str) -> bool:
    if name.upper() in _NOT_SECRET:
        return False
    return any(_SECRET_NAME.search(part) for part in re.split(r"[^A-Za-z]+", name) if part)


def env_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    env = os.environ if environ is None else environ
    return tuple(
        value
        for name, value in env.items()
        if len(value) >= MIN_SECRET_CHARS and looks_like_secret_name(name)
    )


def collect_secrets(configured: Iterable[str] = ()) -> tuple[str, ...]:
    """Configured secrets plus the environment's, longest first, without duplicates."""
    values = {s for s in configured if len(s) >= MIN_SECRET_CHARS}
    values.update(env_secrets())
    return tuple(sorted(values, key=lambda s: (-len(s), s)))


@lru_cache(maxsize=8)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(s) for s in secrets))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of every secret (of 8+ characters) with ``[redacted]``."""
    secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET_CHARS)
    if not secrets or not text:
        return text
    return _pattern(secrets).sub(REDACTED, text)
