"""The one settings object: which model to use and how runs behave.

``extension.py`` reads its traitlets (which also read the environment) into a
``Settings`` once at startup: the server's defaults. ``PATCH codeagent/settings``
replaces those defaults; a user's own choices (JupyterLab's settings editor) travel
with that user's request and give that run its own ``Settings`` through
``with_changes``: they never change another user's. Every part of a run reads the
``Settings`` of that run, never a copy of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .errors import BadRequest

Role = Literal["planner", "coder", "reviewer", "summarizer"]
ROLES: tuple[Role, ...] = ("planner", "coder", "reviewer", "summarizer")
Provider = Literal["openai", "anthropic"]
PROVIDERS: tuple[str, ...] = ("openai", "anthropic")
PROFILES: tuple[str, ...] = ("auto", "full", "compact")
VISION_MODES: tuple[str, ...] = ("auto", "on", "off")
ApprovalPolicy = Literal["always", "risky", "never"]
APPROVAL_POLICIES: tuple[str, ...] = ("always", "risky", "never")


@dataclass(frozen=True, kw_only=True)
class ModelSettings:
    """Which language model to talk to, and how."""

    provider: str = ""
    model: str = ""
    role_models: dict[str, str] = field(default_factory=dict)
    openai_base_url: str = ""
    openai_api_key: str = field(default="", repr=False)
    anthropic_base_url: str = ""
    anthropic_api_key: str = field(default="", repr=False)
    request_timeout: float = 120.0
    max_retries: int = 4
    #: ``max_tokens`` of one model call: bounds a runaway reply.
    max_output_tokens: int = 4_096
    #: Tool calls kept from one reply; the rest are dropped and the model is told.
    max_tool_calls: int = 8
    #: The model's context window in tokens; 0 asks the model's server.
    context_window: int = 0
    #: Anthropic ``cache_control`` breakpoints (OpenAI caches prefixes by itself).
    prompt_caching: bool = True
    #: ``full`` prompts and tools, ``compact`` for small models (fewer tools, shorter
    #: prompts, low temperature), or ``auto``: compact when the window is 8k or less.
    profile: str = "auto"
    #: Images of cell outputs go to the models: ``auto`` (known vision models), ``on``, ``off``.
    vision: str = "auto"
    #: Longest side, in pixels, an image is scaled down to before a model sees it.
    vision_max_side: int = 768
    #: Images kept in one prompt (the most recent ones).
    vision_max_images: int = 3

    def model_for(self, role: str) -> str:
        """The model name a role uses: its own if configured, else the default."""
        return self.role_models.get(role) or self.model

    def secrets(self) -> tuple[str, ...]:
        """Configured secret values, for scrubbing text shown to models or users."""
        return tuple(s for s in (self.openai_api_key, self.anthropic_api_key) if s)


@dataclass(frozen=True, kw_only=True)
class AgentSettings:
    """Limits and policies of agent runs."""

    approval: str = "always"
    max_steps: int = 30
    max_review_rounds: int = 2
    history_turns: int = 6
    prompt_token_budget: int = 12_000
    execution_timeout: float = 120.0
    output_limit_chars: int = 4_000
    knowledge_dirs: tuple[str, ...] = ()
    db_path: str = ""
    # Spending limits (None: no limit). USD budgets count priced calls; the token ones
    # also hold for models without a known price. See ``agents/budget.py``.
    budget_run_usd: float | None = None
    budget_session_usd: float | None = None
    budget_day_usd: float | None = None
    budget_run_tokens: int | None = None
    budget_session_tokens: int | None = None
    budget_day_tokens: int | None = None
    #: The budgets a user's own choice lowered below the server's (to say which to raise).
    user_budgets: frozenset[str] = frozenset()
    #: Undo keeps a real copy of an object a cell may change in place up to this size
    #: (pandas objects under copy-on-write need none); bigger ones make the cell not undoable.
    undo_copy_limit_mb: int = 100
    #: Undo keeps the old content of a file a cell writes up to this size.
    undo_file_limit_mb: int = 20


# What may change without a restart (PATCH settings, a user's choices), with its bounds.
_INT_LIMITS = {
    "max_steps": (1, 500),
    "max_review_rounds": (0, 10),
    "history_turns": (0, 100),
    "prompt_token_budget": (1_000, 1_000_000),
    "output_limit_chars": (200, 1_000_000),
}
_MODEL_INT_LIMITS = {
    "max_output_tokens": (16, 1_000_000),
    "max_tool_calls": (1, 100),
    "context_window": (0, 10_000_000),
    "vision_max_side": (64, 4_096),
    "vision_max_images": (0, 20),
}
_FLOAT_LIMITS = {"execution_timeout": (1.0, 86_400.0)}
#: Budgets: a number >= 0, or null for none. The server's may be set to anything; a
#: user's own choice may only lower them (``with_user_choices``).
BUDGETS: tuple[str, ...] = (
    "budget_run_usd",
    "budget_session_usd",
    "budget_day_usd",
    "budget_run_tokens",
    "budget_session_tokens",
    "budget_day_tokens",
)
EDITABLE: tuple[str, ...] = (
    "provider",
    "model",
    "approval",
    "profile",
    "vision",
    *_INT_LIMITS,
    *_MODEL_INT_LIMITS,
    *_FLOAT_LIMITS,
    *BUDGETS,
)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything configurable, as one value: the server's defaults or one run's."""

    models: ModelSettings = field(default_factory=ModelSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)

    def with_changes(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with validated ``changes``; BadRequest names the first bad one."""
        model_changes, agent_changes = _validated(changes)
        return Settings(
            models=replace(self.models, **model_changes),
            agents=replace(self.agents, **agent_changes),
        )

    def with_user_choices(self, choices: Mapping[str, Any]) -> Settings:
        """These settings with one user's ``choices`` for their run: like ``with_changes``,
        except that a budget may only be lowered. A higher (or null) budget leaves the
        server's in force, so a choice kept in a user's settings never lifts a limit
        the server's operator set."""
        changes = dict(choices)
        lowered: set[str] = set()
        for key in BUDGETS:
            if key not in changes:
                continue
            mine, server = changes[key], getattr(self.agents, key)
            _check_budget(key, mine)
            if mine is None or (server is not None and mine >= server):
                del changes[key]
            else:
                lowered.add(key)
        chosen = self.with_changes(changes)
        return replace(
            chosen,
            agents=replace(chosen.agents, user_budgets=frozenset(lowered)),
        )

    def public(self) -> dict[str, Any]:
        """What ``GET codeagent/settings`` shows: everything but secrets."""
        models, agents = self.models, self.agents
        return {
            "provider": models.provider,
            "model": models.model,
            "role_models": dict(models.role_models),
            "openai_base_url": models.openai_base_url,
            "anthropic_base_url": models.anthropic_base_url,
            "approval": agents.approval,
            "max_steps": agents.max_steps,
            "max_review_rounds": agents.max_review_rounds,
            "history_turns": agents.history_turns,
            "prompt_token_budget": agents.prompt_token_budget,
            "execution_timeout": agents.execution_timeout,
            "output_limit_chars": agents.output_limit_chars,
            "max_output_tokens": models.max_output_tokens,
            "max_tool_calls": models.max_tool_calls,
            "context_window": models.context_window,
            "profile": models.profile,
            **{key: getattr(agents, key) for key in BUDGETS},
            "vision": models.vision,
            "vision_max_side": models.vision_max_side,
            "vision_max_images": models.vision_max_images,
            "editable": list(EDITABLE),
        }


def parse_choices(value: Any) -> dict[str, Any]:
    """A request's ``settings`` object, checked (None or ``{}``: no choices)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("'settings' must be a JSON object of setting names and values.")
    _validated(value)
    return dict(value)


def _validated(changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
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
        elif key == "profile":
            if value not in PROFILES:
                raise BadRequest(f"'profile' must be one of {', '.join(PROFILES)}.")
            model_changes[key] = value
        elif key in BUDGETS:
            _check_budget(key, value)
            agent_changes[key] = _budget_value(key, value)
        elif key == "vision":
            if value not in VISION_MODES:
                raise BadRequest(f"'vision' must be one of {', '.join(VISION_MODES)}.")
            model_changes[key] = value
        elif key in _INT_LIMITS or key in _MODEL_INT_LIMITS:
            low, high = _INT_LIMITS.get(key) or _MODEL_INT_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise BadRequest(f"'{key}' must be a whole number from {low} to {high}.")
            (agent_changes if key in _INT_LIMITS else model_changes)[key] = value
        else:
            low_f, high_f = _FLOAT_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BadRequest(f"'{key}' must be a number of seconds.")
            if not low_f <= float(value) <= high_f:
                raise BadRequest(f"'{key}' must be from {low_f:g} to {high_f:g} seconds.")
            agent_changes[key] = float(value)
    return model_changes, agent_changes


def _check_budget(key: str, value: Any) -> None:
    if value is None:
        return
    usd = key.endswith("_usd")
    number = isinstance(value, (int, float)) if usd else isinstance(value, int)
    if isinstance(value, bool) or not number or not value >= 0:
        unit = "US dollars" if usd else "tokens (a whole number)"
        raise BadRequest(f"'{key}' must be a number of {unit}, 0 or more, or null for none.")
    if value > 1e15:
        raise BadRequest(f"'{key}' is too large.")


def _budget_value(key: str, value: Any) -> float | int | None:
    if value is None:
        return None
    return float(value) if key.endswith("_usd") else int(value)
