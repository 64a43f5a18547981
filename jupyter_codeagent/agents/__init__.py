"""The agents: planner, coder and reviewer, each a ``Role`` run by the one loop
(``loop.run_agent``), and the orchestrator that owns plan → work → revise → finish."""

from .orchestrator import run_request
from .outcome import RunOutcome
from .reviewer import Reviewer, new_reviewer

__all__ = ["Reviewer", "RunOutcome", "new_reviewer", "run_request"]
