"""One run: the planner decides, the coder works the plan, the reviewer checks each cell."""

from __future__ import annotations

from .coder import work_through_plan
from .planner import plan_request
from .runtime import RunContext


async def run_request(ctx: RunContext) -> str:
    """Handle the user's request; returns the text that closes the turn."""
    outcome = await plan_request(ctx)
    if not outcome.planned:
        return outcome.answer or "(The planner gave no answer.)"
    summary = await work_through_plan(ctx)
    ctx.emit("message", {"role": "assistant", "agent": "coder", "text": summary})
    return summary
