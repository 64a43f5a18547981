"""Settings read from the environment: a typo must not stop Jupyter from starting."""

from __future__ import annotations

import os
from typing import Any


def env_text(name: str, fallback: str = "") -> str:
    return os.environ.get(name, fallback).strip()


def env_number(name: str, fallback: float, cast: type = float) -> Any:
    raw = env_text(name)
    if not raw:
        return fallback
    try:
        return cast(raw)
    except ValueError:
        return fallback


def env_flag(name: str) -> bool:
    return env_text(name).lower() in ("1", "true", "yes", "on")
