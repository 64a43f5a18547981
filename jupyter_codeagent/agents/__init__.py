"""The agents: planner, coder and reviewer, each a ``Role`` run by the one loop
(``loop.run_agent``), and the orchestrator that owns plan → work → revise → finish."""

from .orchestrator import run_request
from .reviewer import review_cell

__all__ = ["review_cell", "run_request"]
