"""The agents: planner, coder and reviewer, each a ``Role`` run by the one loop
(``loop.run_agent``), and the orchestrator that owns plan → work → revise → finish."""

from .orchestrator import run_request
from .reviewer import Reviewer, new_reviewer

__all__ = ["Reviewer", "new_reviewer", "run_request"]
