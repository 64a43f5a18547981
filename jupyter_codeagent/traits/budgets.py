"""The budget settings of the server extension: six traitlets, each also read from its
environment variable, mixed into ``CodeAgentExtension`` (``c.CodeAgentExtension.budget_*``).

What a budget does is ``budget.py``; this module only reads the operator's values.
"""

from __future__ import annotations

import logging
import os
from typing import Any, TypeVar

from traitlets import Float, HasTraits, Int, default

from ..settings import BUDGETS

log = logging.getLogger(__name__)


def _env_budget(name: str, cast: type) -> Any:
    """A budget from the environment; empty means none. A typo must neither stop Jupyter
    from starting nor lift the limit someone meant to set: it counts as 0 (nothing may
    be spent), which the first run's ``budget_exceeded`` error then names."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = cast(raw)
    except ValueError:
        value = -1
    if not value >= 0:
        log.warning("%s=%r is not a budget: 0 applies until it is fixed", name, raw)
        return cast(0)
    return value


_Amount = TypeVar("_Amount", int, float)


def _budget(value: _Amount | None) -> _Amount | None:
    return None if value is None or value < 0 else value


class BudgetTraits(HasTraits):
    """Spending limits of model calls (None: no limit)."""

    budget_run_usd = Float(
        None,
        allow_none=True,
        config=True,
        help="US dollars one run (one request) may spend on model calls; a call that would "
        "pass it stops the run. None: no limit. Users may set a lower one for themselves. "
        "Env: CODEAGENT_BUDGET_RUN_USD.",
    )
    budget_session_usd = Float(
        None,
        allow_none=True,
        config=True,
        help="US dollars one session may spend over all its runs. None: no limit. "
        "Env: CODEAGENT_BUDGET_SESSION_USD.",
    )
    budget_day_usd = Float(
        None,
        allow_none=True,
        config=True,
        help="US dollars this server may spend since local midnight, over all sessions. "
        "None: no limit. Env: CODEAGENT_BUDGET_DAY_USD.",
    )
    budget_run_tokens = Int(
        None,
        allow_none=True,
        config=True,
        help="Tokens (input + output) one run may use; holds for models without a known "
        "price too. None: no limit. Env: CODEAGENT_BUDGET_RUN_TOKENS.",
    )
    budget_session_tokens = Int(
        None,
        allow_none=True,
        config=True,
        help="Tokens one session may use over all its runs. None: no limit. "
        "Env: CODEAGENT_BUDGET_SESSION_TOKENS.",
    )
    budget_day_tokens = Int(
        None,
        allow_none=True,
        config=True,
        help="Tokens this server may use since local midnight, over all sessions. "
        "None: no limit. Env: CODEAGENT_BUDGET_DAY_TOKENS.",
    )

    @default("budget_run_usd")
    def _default_budget_run_usd(self) -> float | None:
        return _env_budget("CODEAGENT_BUDGET_RUN_USD", float)

    @default("budget_session_usd")
    def _default_budget_session_usd(self) -> float | None:
        return _env_budget("CODEAGENT_BUDGET_SESSION_USD", float)

    @default("budget_day_usd")
    def _default_budget_day_usd(self) -> float | None:
        return _env_budget("CODEAGENT_BUDGET_DAY_USD", float)

    @default("budget_run_tokens")
    def _default_budget_run_tokens(self) -> int | None:
        return _env_budget("CODEAGENT_BUDGET_RUN_TOKENS", int)

    @default("budget_session_tokens")
    def _default_budget_session_tokens(self) -> int | None:
        return _env_budget("CODEAGENT_BUDGET_SESSION_TOKENS", int)

    @default("budget_day_tokens")
    def _default_budget_day_tokens(self) -> int | None:
        return _env_budget("CODEAGENT_BUDGET_DAY_TOKENS", int)

    def budgets(self) -> dict[str, Any]:
        """The ``AgentSettings`` budget fields, as configured."""
        return {name: _budget(getattr(self, name)) for name in BUDGETS}
