"""The coder: reason → propose a cell → observe the outputs → repeat, task by task."""

from __future__ import annotations

from typing import Any

from jupyter_codeagent.memory.assembler import AssembledPrompt, CurrentStep
from jupyter_codeagent.memory.session_memory import call_assembled, memory_for
from jupyter_codeagent.models import Message, UserMessage
from jupyter_codeagent.tools.read_tools import read_tool_handlers

from . import prompts
from .cells import CellPipeline
from .planner import plan_request
from .runtime import RunContext
from .tool_runner import ToolFailure, run_tool_calls
from .toolspecs import CODER_TOOLS

# Replies without a tool call while tasks are open: remind the coder this often, then stop.
MAX_NUDGES = 2
# A failed task may send the plan back to the planner this many times per run.
MAX_PLAN_REVISIONS = 2


async def work_through_plan(ctx: RunContext) -> str:
    """Drive the coder until it calls ``finish``; returns the summary for the user."""
    pipeline = CellPipeline(ctx)
    memory = await memory_for(ctx)
    # The current step in full: the request, the plan as it is now (re-rendered for
    # every call), and this run's tool-call exchange; the memory adds the other tiers.
    messages: list[Message] = []

    def prompt_now() -> AssembledPrompt:
        step = CurrentStep(
            request=ctx.request,
            details=f"The plan:\n{ctx.plan.render()}\n\nWork through the open tasks in order.",
            exchange=messages,
        )
        return memory.assemble("coder", system=prompts.CODER, step=step, tools=CODER_TOOLS)

    finished = False
    failed_notes: list[str] = []
    revisions = 0

    async def update_task(args: dict[str, Any]) -> str:
        task = ctx.plan.find(args["task_id"])
        if task is None:
            known = ", ".join(t.id for t in ctx.plan.tasks) or "none"
            raise ToolFailure(f"Unknown task_id '{args['task_id']}'. Plan tasks: {known}.")
        note = (args.get("note") or "").strip() or None
        ctx.set_plan(ctx.plan.with_status(task.id, args["status"], note))
        if args["status"] == "failed":
            failed_notes.append(f"task {task.id} ({task.title}) failed: {note or 'no note'}")
        return f"Task {task.id} is now {args['status']}."

    async def finish(args: dict[str, Any]) -> str:
        nonlocal finished
        ctx.summary = args["summary"].strip()
        finished = True
        return "The run is finished."

    handlers = {
        **read_tool_handlers(ctx),
        "propose_cell": pipeline.propose,
        "update_task": update_task,
        "finish": finish,
    }
    nudges = 0
    while not finished:
        reply = await call_assembled(ctx, "coder", prompt_now(), CODER_TOOLS)
        messages.append(reply)
        text = reply.content.strip()
        if not reply.tool_calls:
            if not ctx.plan.open_tasks() or nudges >= MAX_NUDGES:
                ctx.summary = text or ctx.summary  # shown by the orchestrator as the summary
                break
            if text:
                ctx.emit("message", {"role": "assistant", "agent": "coder", "text": text})
            nudges += 1
            messages.append(
                UserMessage(
                    content="Continue with the open tasks (propose_cell, update_task), "
                    "or call finish(summary) if the work is done."
                )
            )
            continue
        if text:
            ctx.emit("message", {"role": "assistant", "agent": "coder", "text": text})
        nudges = 0
        messages.extend(await run_tool_calls(reply, CODER_TOOLS, handlers))
        if failed_notes and not finished and revisions < MAX_PLAN_REVISIONS:
            revisions += 1
            note = "; ".join(failed_notes)
            failed_notes.clear()
            outcome = await plan_request(ctx, revision_note=note)
            if outcome.planned:
                messages.append(
                    UserMessage(content=f"The planner revised the plan:\n{ctx.plan.render()}")
                )
    return ctx.summary or "The run ended without a summary."
