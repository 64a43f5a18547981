"""A small, editable table of model prices, to show what a session cost.

Prices are USD per one million tokens (input, output), as published by OpenAI and
Anthropic for standard (non-batch, non-cached) use. They change: edit ``PRICES`` (or
call ``set_price``) when they do. A model missing here simply has no cost
(``Usage.cost_usd is None``); nothing else depends on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyter_codeagent.models.messages import Usage


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input_per_mtok: float
    output_per_mtok: float


PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "o3": Price(2.00, 8.00),
    "o4-mini": Price(1.10, 4.40),
    "o3-mini": Price(1.10, 4.40),
    # Anthropic
    "claude-opus-4-5": Price(5.00, 25.00),
    "claude-opus-4-1": Price(15.00, 75.00),
    "claude-opus-4-0": Price(15.00, 75.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-sonnet-4-0": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku-latest": Price(0.80, 4.00),
}

# Dated snapshots cost what their family costs: "gpt-4o-2024-08-06", "claude-haiku-4-5-20251001".
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


def set_price(model: str, input_per_mtok: float, output_per_mtok: float) -> None:
    """Add or change a model's price (e.g. from server configuration)."""
    PRICES[model] = Price(input_per_mtok, output_per_mtok)


def price_for(model: str) -> Price | None:
    """The price of ``model``, trying the name without a date suffix."""
    price = PRICES.get(model)
    if price is None:
        price = PRICES.get(_SNAPSHOT_SUFFIX.sub("", model))
    return price


def cost_for(model: str, usage: Usage) -> float | None:
    """USD for ``usage`` on ``model``, or None if the price is unknown."""
    price = price_for(model)
    if price is None:
        return None
    return (
        usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok
    ) / 1_000_000
