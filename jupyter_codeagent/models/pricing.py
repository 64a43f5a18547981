"""What a model call cost, from a maintained price list, and what hosted models can hold.

Prices come from ``genai-prices`` (the pydantic project's list of provider prices,
shipped as a snapshot inside the package, so no network is needed): it knows cached
input prices, tiered prices and each hosted model's context window. ``PRICES`` is only
an override, for models the list lacks or prices negotiated elsewhere; settings add to
it with ``set_price``. A model found in neither has no cost (``Usage.cost_usd is
None``): "unknown" must never read as "free".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jupyter_codeagent.models.messages import Usage

log = logging.getLogger("jupyter_codeagent.models")

# The official endpoints: with them the provider is known; with another base URL the
# URL itself says which provider serves the model (OpenRouter, Groq...), if any does.
_OFFICIAL_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens; cache prices default to the input price when not given."""

    input_per_mtok: float
    output_per_mtok: float
    cache_read_per_mtok: float | None = None
    cache_write_per_mtok: float | None = None

    def cost(self, usage: Usage) -> float:
        cached = usage.cache_read_tokens + usage.cache_write_tokens
        fresh = max(0, usage.input_tokens - cached)
        read = self.input_per_mtok if self.cache_read_per_mtok is None else self.cache_read_per_mtok
        write = (
            self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        )
        total = (
            fresh * self.input_per_mtok
            + usage.cache_read_tokens * read
            + usage.cache_write_tokens * write
            + usage.output_tokens * self.output_per_mtok
        )
        return total / 1_000_000


#: Local overrides, by model name; consulted before the maintained list.
PRICES: dict[str, Price] = {}

# Dated snapshots cost what their family costs: "gpt-4o-2024-08-06", "claude-haiku-4-5-20251001".
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


def set_price(
    model: str,
    input_per_mtok: float,
    output_per_mtok: float,
    *,
    cache_read_per_mtok: float | None = None,
    cache_write_per_mtok: float | None = None,
) -> None:
    """Add or change a model's price override (e.g. from server settings)."""
    PRICES[model] = Price(
        input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok
    )


def price_for(model: str) -> Price | None:
    """The local override for ``model``, trying the name without a date suffix."""
    price = PRICES.get(model)
    if price is None:
        price = PRICES.get(_SNAPSHOT_SUFFIX.sub("", model))
    return price


def cost_for(
    model: str, usage: Usage, *, provider: str | None = None, base_url: str | None = None
) -> float | None:
    """USD for ``usage`` on ``model``, or None if its price is unknown.

    ``provider`` ("openai"/"anthropic") and ``base_url`` narrow the look-up: a model
    behind OpenRouter is priced as OpenRouter sells it. A server the list does not
    know (a proxy, a local server) is looked up by the model name under ``provider``,
    so a local model named like a hosted one gets the hosted price: override it with
    ``set_price(name, 0, 0)``.
    """
    override = price_for(model)
    if override is not None:
        return override.cost(usage)
    from genai_prices import Usage as PriceUsage  # a second to import: only when needed

    counted = PriceUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
    )
    for where in _lookups(provider, base_url):
        try:
            calculation = _calc_price(counted, model, where)
        except LookupError:
            continue
        except ValueError as exc:  # a price the list cannot apply to this usage
            log.debug("no price for %s: %s", model, exc)
            return None
        return float(calculation.total_price)
    return None


def catalogue_context_window(
    model: str, *, provider: str | None = None, base_url: str | None = None
) -> int | None:
    """The context window the maintained list gives for a hosted ``model``, if any."""
    return _context_window(model, _lookups(provider, base_url))


@lru_cache(maxsize=256)
def _context_window(model: str, lookups: tuple[tuple[str, str], ...]) -> int | None:
    from genai_prices import Usage as PriceUsage

    for where in lookups:
        try:
            calculation = _calc_price(PriceUsage(), model, where)
        except (LookupError, ValueError):
            continue
        window = calculation.model.context_window
        return int(window) if window else None
    return None


def _lookups(provider: str | None, base_url: str | None) -> tuple[tuple[str, str], ...]:
    """Where to look a model up, most specific first: ``(("provider_api_url", url), ...)``."""
    official = _OFFICIAL_URLS.get(provider or "")
    found: list[tuple[str, str]] = []
    if base_url and base_url.rstrip("/") != (official or "").rstrip("/"):
        found.append(("provider_api_url", base_url))
    if provider:
        found.append(("provider_id", provider))
    else:
        found.append(("any", ""))
    return tuple(found)


def _calc_price(usage: Any, model: str, where: tuple[str, str]) -> Any:
    from genai_prices import calc_price

    kind, value = where
    if kind == "provider_api_url":
        return calc_price(usage, model, provider_api_url=value)
    if kind == "provider_id":
        return calc_price(usage, model, provider_id=value)
    return calc_price(usage, model)
