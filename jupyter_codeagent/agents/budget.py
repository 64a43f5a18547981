"""Spending budgets, checked before every model call.

Budgets (``AgentSettings.budget_*``) cap what one run, one session, or the whole server
since local midnight may spend, in US dollars or in tokens (input + output). Before a
call, its cost is estimated from the assembled prompt's tokens plus an expected answer
(``EXPECTED_OUTPUT_TOKENS``, or the model's ``max_output_tokens`` when that is lower) at
the model's price; if what was spent plus that estimate would pass a budget, the call
is not made and ``BudgetExceeded`` stops the run (the session reports it as an
``error`` event with code ``budget_exceeded`` and ends the run ``stopped``).

A dollar budget needs a price: calls of a model without one count only against token
budgets, which is what those are for. The day's spending comes from the store's
ledger, which outlives deleted sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from ..errors import BudgetExceeded
from ..memory import AssembledPrompt
from ..memory.tokens import estimate_message, estimate_messages, estimate_tools
from ..models import ChatModel, Message, ModelResponse, ToolSpec, Usage, cost_for
from ..settings import AgentSettings
from ..tools import RunContext

#: Output tokens a call is expected to write when the model has no output cap.
EXPECTED_OUTPUT_TOKENS = 1_000

Scope = Literal["run", "session", "day"]
SCOPES: tuple[Scope, ...] = ("run", "session", "day")
_WHAT = {
    "run": "run budget",
    "session": "session budget",
    "day": "day budget (all sessions of this server since midnight)",
}


@dataclass(frozen=True, kw_only=True)
class CallEstimate:
    """What the next call is expected to cost."""

    input_tokens: int
    output_tokens: int
    #: None when the model has no known price.
    cost_usd: float | None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, kw_only=True)
class Spent:
    tokens: int
    cost_usd: float


def has_budgets(agents: AgentSettings) -> bool:
    return any(_limit(agents, scope, unit) is not None for scope in SCOPES for unit in _UNITS)


def check_budgets(
    run: RunContext,
    model: ChatModel,
    built: AssembledPrompt | Sequence[Message],
    tools: Sequence[ToolSpec],
) -> None:
    """Raise ``BudgetExceeded`` if the call about to be made would pass a budget."""
    agents = run.settings.agents
    if not has_budgets(agents):
        return
    estimate = estimate_call(model, built, tools)
    for scope in SCOPES:
        usd, tokens = _limit(agents, scope, "usd"), _limit(agents, scope, "tokens")
        if usd is None and tokens is None:
            continue
        spent = _spent(run, scope)
        cost = estimate.cost_usd
        if usd is not None and cost is not None and spent.cost_usd + cost > usd:
            raise _exceeded(agents, scope, "usd", usd, spent, estimate)
        if tokens is not None and spent.tokens + estimate.tokens > tokens:
            raise _exceeded(agents, scope, "tokens", tokens, spent, estimate)


def estimate_call(
    model: ChatModel, built: AssembledPrompt | Sequence[Message], tools: Sequence[ToolSpec]
) -> CallEstimate:
    if isinstance(built, AssembledPrompt):
        input_tokens = built.tokens  # calibrated by what the provider reported so far
    else:
        input_tokens = estimate_messages(built) + estimate_tools(tools)
    options = getattr(model, "options", None)
    cap = getattr(options, "max_output_tokens", None)
    # The cap is a ceiling, not a forecast: counting all of it would stop runs whose
    # answers are a few hundred tokens long.
    output_tokens = (
        min(cap, EXPECTED_OUTPUT_TOKENS)
        if isinstance(cap, int) and cap > 0
        else EXPECTED_OUTPUT_TOKENS
    )
    cost = _price(model, model.model, Usage(input_tokens=input_tokens, output_tokens=output_tokens))
    return CallEstimate(input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost)


def with_usage_estimated(
    model: ChatModel,
    built: AssembledPrompt | Sequence[Message],
    tools: Sequence[ToolSpec],
    response: ModelResponse,
) -> ModelResponse:
    """``response``, with its usage estimated when the provider reported none.

    A stream cut short (a looping answer, a stop) ends before its usage chunk, and some
    OpenAI-compatible servers never send one: counted as zero, those calls would pass
    every budget unseen. The estimate is the prompt's (as ``estimate_call`` makes it)
    and the answer's actual length.
    """
    usage = response.usage
    answered = response.message.content or response.message.tool_calls
    if usage.total_tokens > 0 or not answered:
        return response
    estimate = estimate_call(model, built, tools)
    counted = Usage(
        input_tokens=estimate.input_tokens,
        output_tokens=max(1, estimate_message(response.message)),
    )
    cost = _price(model, response.model or model.model, counted)
    return replace(response, usage=replace(counted, cost_usd=cost))


def _price(model: ChatModel, name: str, usage: Usage) -> float | None:
    """What ``usage`` of the model ``name`` costs at ``model``'s provider (None: unpriced)."""
    return cost_for(name, usage, provider=model.provider, base_url=getattr(model, "base_url", None))


def local_midnight(now: datetime | None = None) -> float:
    """The epoch time of the server's last local midnight (the day budget's start)."""
    moment = (now or datetime.now()).astimezone()
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


# --- internals ------------------------------------------------------------------------

_UNITS: tuple[Literal["usd", "tokens"], ...] = ("usd", "tokens")


def _key(scope: Scope, unit: str) -> str:
    return f"budget_{scope}_{unit}"


def _limit(agents: AgentSettings, scope: Scope, unit: str) -> float | None:
    value = getattr(agents, _key(scope, unit))
    return None if value is None else float(value)


def _spent(run: RunContext, scope: Scope) -> Spent:
    store = run.app.store
    if scope == "run":
        usage = store.run_usage(run.session_id, run.turn)
        tokens, cost = usage["input_tokens"] + usage["output_tokens"], usage["cost_usd"]
    elif scope == "session":
        totals = store.usage_totals(run.session_id)
        tokens, cost = totals["input_tokens"] + totals["output_tokens"], totals["cost_usd"]
    else:
        tokens, cost = store.spent_since(local_midnight())
    return Spent(tokens=int(tokens), cost_usd=float(cost or 0.0))


def _exceeded(
    agents: AgentSettings,
    scope: Scope,
    unit: Literal["usd", "tokens"],
    limit: float,
    spent: Spent,
    estimate: CallEstimate,
) -> BudgetExceeded:
    key = _key(scope, unit)
    if unit == "usd":
        amounts = (
            f"{_usd(spent.cost_usd)} of {_usd(limit)} spent; the next call would cost "
            f"about {_usd(estimate.cost_usd or 0.0)}"
        )
    else:
        amounts = (
            f"{spent.tokens:,} of {int(limit):,} tokens used; the next call would use "
            f"about {estimate.tokens:,}"
        )
    if key in agents.user_budgets:
        how = (
            f"This limit is your own setting '{key}' (lower than the server's): raise it "
            "in Settings → Settings Editor → Code Agent, up to the server's."
        )
    else:
        how = (
            f"To raise it, set CODEAGENT_{key.upper()} (c.CodeAgentExtension.{key}) and "
            f'restart, or PATCH codeagent/settings {{"{key}": ...}}.'
        )
    if scope == "session":
        how += " A new session starts from zero."
    elif scope == "day":
        how += " It starts again from zero at midnight."
    message = f"Stopped by the {_WHAT[scope]}: {amounts}. {how}"
    return BudgetExceeded(message, budget=key)


def _usd(amount: float) -> str:
    return f"${amount:,.4f}" if amount < 1 else f"${amount:,.2f}"
