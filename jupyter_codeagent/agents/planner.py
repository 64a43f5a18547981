"""The planner: answers directly, or turns the request into an ordered plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyter_codeagent.memory.assembler import CurrentStep
from jupyter_codeagent.memory.session_memory import call_assembled, memory_for
from jupyter_codeagent.models import Message
from jupyter_codeagent.tools.read_tools import read_tool_handlers

from . import prompts
from .runtime import RunContext
from .tool_runner import run_tool_calls
from .toolspecs import PLANNER_TOOLS

MAX_PLANNER_CALLS = 6


@dataclass(frozen=True, kw_only=True)
class PlannerOutcome:
    planned: bool
    answer: str


async def plan_request(ctx: RunContext, *, revision_note: str | None = None) -> PlannerOutcome:
    """Run the planner until it creates a plan or answers in text."""
    memory = await memory_for(ctx)
    details: list[str] = []
    if ctx.plan.tasks:
        details.append("The plan so far:\n" + ctx.plan.render())
    if revision_note:
        details.append(
            f"The plan needs revising: {revision_note}\n"
            "Call create_plan with the remaining tasks, or answer in text to stop."
        )
    exchange: list[Message] = []
    planned = False

    async def create_plan(args: dict[str, Any]) -> str:
        nonlocal planned
        tasks = [(t["title"].strip(), t.get("description", "").strip()) for t in args["tasks"]]
        ctx.set_plan(ctx.plan.replaced_open_tasks(tasks))
        planned = True
        return f"Plan saved with {len(tasks)} tasks:\n{ctx.plan.render()}"

    handlers = {**read_tool_handlers(ctx), "create_plan": create_plan}
    text = ""
    for _ in range(MAX_PLANNER_CALLS):
        step = CurrentStep(request=ctx.request, details="\n\n".join(details), exchange=exchange)
        prompt = memory.assemble("planner", system=prompts.PLANNER, step=step, tools=PLANNER_TOOLS)
        reply = await call_assembled(ctx, "planner", prompt, PLANNER_TOOLS)
        text = reply.content.strip()
        if not reply.tool_calls:
            break
        results = await run_tool_calls(reply, PLANNER_TOOLS, handlers)
        exchange.extend([reply, *results])
        if planned:
            break
    if text:
        # Without a plan this is the answer; beside a plan it is commentary worth showing.
        ctx.emit("message", {"role": "assistant", "agent": "planner", "text": text})
    return PlannerOutcome(planned=planned, answer=text)
