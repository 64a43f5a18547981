"""One run: the planner decides, the coder works the plan, a failed task sends the plan
back to the planner, and the run ends with one summary."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import StepLimitReached
from ..events import MessagePosted
from ..kernel import ToolText, VariableSummary
from ..memory import MemorySources, SessionMemory
from ..models import SystemMessage, UserMessage
from ..tools import RunContext
from ..tools.cells import settle_revision
from . import prompts
from .coder import CoderSession
from .loop import record_usage
from .outcome import (
    NO_CELL_RAN,
    RunOutcome,
    echoes_instructions,
    fit_to_model,
    needs_data,
    partial_answer,
    unverified_figures,
)
from .planner import plan_request

# A failed task may send the plan back to the planner this many times per run.
MAX_PLAN_REVISIONS = 2
SUMMARY_MAX_TOKENS = 800


async def run_request(run: RunContext) -> RunOutcome:
    """Handle the user's request: plan, work, revise, finish."""
    await fit_to_model(run)
    run.memory = await SessionMemory.prepare(memory_sources(run))
    outcome = await plan_request(run)
    if not outcome.planned:
        if not needs_data(run.request, _known_names(run)):
            return RunOutcome(summary=outcome.answer or NO_ANSWER, agent="planner")
        # A data question answered in prose is a guess: the coder answers it with code.
        if outcome.answer:
            run.emit(MessagePosted(role="assistant", agent="planner", text=outcome.answer))
        run.set_plan(run.plan.replaced_open_tasks([(_task_title(run.request), ANSWER_TASK)]))
    coder = CoderSession(run)
    revisions = 0
    try:
        while True:
            await coder.work()
            if coder.stalled and await coder.settle_revision():
                continue
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
    except StepLimitReached:
        await settle_revision(run)  # no model call needed: the user decides
        partial = partial_answer(run) or NO_CELL_RAN
        run.emit(MessagePosted(role="assistant", agent="coder", text=partial))
        raise
    written = run.summary if run.summary and not echoes_instructions(run.summary) else None
    summary = written or partial_answer(run, cut_off=False) or "The run ended without a summary."
    return RunOutcome(
        summary=summary,
        agent="coder",
        computed=run.ran_ok(),
        unverified=unverified_figures(summary, run) if run.ran_ok() else (),
    )


NO_ANSWER = "(The planner gave no answer.)"
ANSWER_TASK = "Answer the question with code that computes it from the data, and print it."


def _task_title(request: str) -> str:
    line = " ".join(request.split())
    return "Answer: " + (line if len(line) <= 150 else line[:147] + "...")


def _known_names(run: RunContext) -> set[str]:
    """Variable names and data file names the request may refer to."""
    memory = run.memory
    names: set[str] = set()
    if memory is not None:
        names.update(memory.state.registry.objects)
        for line in memory.files:  # "- data/sales.csv (2.1 kB): ..."
            path = line[2:].split(" (", 1)[0]
            names.update({path, path.rsplit("/", 1)[-1], path.rsplit("/", 1)[-1].split(".")[0]})
    return names


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
