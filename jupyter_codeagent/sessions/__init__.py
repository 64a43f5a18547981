"""Sessions: one notebook's conversation with the agents, its runs and its event log."""

from .manager import SessionManager
from .session import Session

__all__ = ["Session", "SessionManager"]
