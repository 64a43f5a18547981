"""The server extension's settings as traitlets (``c.CodeAgentExtension.*``), grouped by
what they configure; ``extension.py`` mixes them in and turns them into ``Settings``."""

from .agents import AgentTraits
from .budgets import BudgetTraits
from .model import ModelTraits
from .sandbox import SandboxTraits

__all__ = ["AgentTraits", "BudgetTraits", "ModelTraits", "SandboxTraits"]
