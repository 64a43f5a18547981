"""One run: the planner decides, the coder works the plan, a failed task sends the plan
back to the planner, and the run ends with one summary."""

from __future__ import annotations

from collections.abc import Sequence

from ..events import AgentRole
from ..kernel import ToolText, VariableSummary
from ..memory import MemorySources, SessionMemory
from ..models import SystemMessage, UserMessage
from ..tools import RunContext
from . import prompts
from .coder import CoderSession
from .loop import record_usage
from .planner import plan_request

# A failed task may send the plan back to the planner this many times per run.
MAX_PLAN_REVISIONS = 2
SUMMARY_MAX_TOKENS = 800


async def run_request(run: RunContext) -> tuple[str, AgentRole]:
    """Handle the user's request; returns the closing text and the agent who wrote it."""
    run.memory = await SessionMemory.prepare(memory_sources(run))
    outcome = await plan_request(run)
    if not outcome.planned:
        return outcome.answer or "(The planner gave no answer.)", "planner"
    coder = CoderSession(run)
    revisions = 0
    while True:
        await coder.work()
        if run.finished or coder.stalled:
            break
        if run.failed_tasks and revisions < MAX_PLAN_REVISIONS:
            revisions += 1
            note = "; ".join(run.failed_tasks)
            run.failed_tasks.clear()
            if (await plan_request(run, revision_note=note)).planned:
                coder.plan_revised()
        else:
            run.failed_tasks.clear()  # no revisions left: the coder carries on as it can
    return run.summary or "The run ended without a summary.", "coder"


def memory_sources(run: RunContext) -> MemorySources:
    """What the memory reads, from this run's kernel, knowledge and models."""
    bridge = run.app.bridge
    limit = run.settings.agents.output_limit_chars

    async def list_variables() -> Sequence[VariableSummary]:
        return await bridge.list_variables(await run.kernel_id())

    async def inspect_variable(name: str) -> ToolText:
        return await bridge.inspect_variable(await run.kernel_id(), name, limit=limit)

    async def summarize(request: str) -> str:
        response = await run.model("summarizer").complete(
            [SystemMessage(content=prompts.SUMMARIZER), UserMessage(content=request)],
            (),
            max_tokens=SUMMARY_MAX_TOKENS,
        )
        record_usage(run, "summarizer", response)
        return response.message.content

    return MemorySources(
        store=run.app.store,
        session_id=run.session_id,
        notebook_path=run.notebook_path,
        turn=run.turn,
        request=run.request,
        history_turns=run.settings.agents.history_turns,
        list_variables=list_variables,
        inspect_variable=inspect_variable,
        knowledge=run.app.knowledge,
        summarize=summarize,
        root_dir=run.root_dir,
    )
