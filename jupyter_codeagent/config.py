"""Plain, frozen settings objects handed from the ExtensionApp to the services.

The agent packages never see traitlets: ``extension.py`` reads its traitlets (which
also read the environment) and builds these once at startup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["planner", "coder", "reviewer", "summarizer"]
ROLES: tuple[Role, ...] = ("planner", "coder", "reviewer", "summarizer")
Provider = Literal["openai", "anthropic"]
PROVIDERS: tuple[str, ...] = ("openai", "anthropic")
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
