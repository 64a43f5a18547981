"""Runtime changes to the settings (from the sidebar's settings editor), validated.

Only non-secret, per-run settings can change without a restart; keys and base URLs
stay in the server configuration where the administrator put them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .config import APPROVAL_POLICIES, PROVIDERS, AgentSettings, ModelSettings
from .errors import BadRequest

_INT_LIMITS = {
    "max_steps": (1, 500),
    "max_review_rounds": (0, 10),
    "history_turns": (0, 100),
    "prompt_token_budget": (1_000, 1_000_000),
    "output_limit_chars": (200, 1_000_000),
}
_FLOAT_LIMITS = {"execution_timeout": (1.0, 86_400.0)}
EDITABLE = ("provider", "model", "approval", *_INT_LIMITS, *_FLOAT_LIMITS)


def public_settings(model: ModelSettings, agent: AgentSettings) -> dict[str, Any]:
    """What ``GET codeagent/settings`` shows: everything but secrets."""
    return {
        "provider": model.provider,
        "model": model.model,
        "role_models": dict(model.role_models),
        "openai_base_url": model.openai_base_url,
        "anthropic_base_url": model.anthropic_base_url,
        "approval": agent.approval,
        "max_steps": agent.max_steps,
        "max_review_rounds": agent.max_review_rounds,
        "history_turns": agent.history_turns,
        "prompt_token_budget": agent.prompt_token_budget,
        "execution_timeout": agent.execution_timeout,
        "output_limit_chars": agent.output_limit_chars,
        "editable": list(EDITABLE),
    }


def apply_overrides(
    changes: dict[str, Any], model: ModelSettings, agent: AgentSettings
) -> tuple[ModelSettings, AgentSettings]:
    """New settings with ``changes`` applied; BadRequest names the first bad value."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise BadRequest(
            f"Cannot change {', '.join(unknown)} at run time. Editable: {', '.join(EDITABLE)}."
        )
    model_changes: dict[str, Any] = {}
    agent_changes: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "provider":
            if value not in PROVIDERS:
                raise BadRequest(f"'provider' must be one of {', '.join(PROVIDERS)}.")
            model_changes[key] = value
        elif key == "model":
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise BadRequest("'model' must be a non-empty model name.")
            model_changes[key] = value.strip()
        elif key == "approval":
            if value not in APPROVAL_POLICIES:
                raise BadRequest(f"'approval' must be one of {', '.join(APPROVAL_POLICIES)}.")
            agent_changes[key] = value
        elif key in _INT_LIMITS:
            low, high = _INT_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise BadRequest(f"'{key}' must be a whole number from {low} to {high}.")
            agent_changes[key] = value
        else:
            low_f, high_f = _FLOAT_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BadRequest(f"'{key}' must be a number of seconds.")
            if not low_f <= float(value) <= high_f:
                raise BadRequest(f"'{key}' must be from {low_f:g} to {high_f:g} seconds.")
            agent_changes[key] = float(value)
    return replace(model, **model_changes), replace(agent, **agent_changes)
