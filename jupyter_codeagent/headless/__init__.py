"""``jupyter codeagent run``: the agents on a notebook file, without a browser or server."""

from __future__ import annotations

from .runner import EXIT_DONE, EXIT_FAILED, EXIT_STOPPED, RunOptions, run_notebook

__all__ = ["EXIT_DONE", "EXIT_FAILED", "EXIT_STOPPED", "RunOptions", "run_notebook"]
