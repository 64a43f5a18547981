"""The coder: reason → propose a cell → observe the outputs → repeat, task by task."""

from __future__ import annotations

from collections.abc import Sequence

from ..events import MessagePosted
from ..memory import AssembledPrompt, CurrentStep
from ..models import AssistantMessage, Message, UserMessage
from ..tools import READ_TOOLS, RunContext, finish, propose_cell, update_task
from ..tools.cells import settle_revision
from ..tools.plan import current_task
from . import prompts
from .interpret import python_block_as_proposal
from .loop import AgentTurn, Nudge, Role, run_agent
from .planner import assemble

CODER = Role(
    name="coder",
    instructions=prompts.CODER,
    tools=(propose_cell, update_task, finish, *READ_TOOLS),
    narrates=True,
)
# Offered only the tools that move the work forward, a small model proposes a cell 3
# times in 4 instead of once in 4 (measured with a 1.5B model on the first coder call).
CODER_COMPACT = Role(
    name="coder",
    instructions=prompts.CODER_COMPACT,
    tools=(propose_cell, finish, update_task),
    narrates=True,
)
# Replies without a tool call while tasks are open: remind the coder this often (counted
# since the run last made progress), then stop.
MAX_NUDGES = 2


def nudge_text(run: RunContext) -> str:
    """The reminder names the task and the call, so it cannot be echoed as an answer."""
    task = current_task(run)
    if task is None:
        return "No tool was called. Call finish(summary) with the results the cells printed."
    return (
        f"No cell was proposed. Call propose_cell(code, explanation, task_id='{task.id}') "
        f"with the Python code for task {task.id} ({task.title}), or update_task('{task.id}', "
        "'failed', note) if it cannot be done."
    )


class CoderSession:
    """The coder's side of one run; ``work`` may be resumed after a plan revision."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.turn = AgentTurn()
        self.nudges = 0
        self.nudged_at = -1
        self.stalled = False
        self.details: str | None = None

    def plan_revised(self) -> None:
        self.turn.exchange.append(
            UserMessage(content=f"The planner revised the plan:\n{self.run.plan.render()}")
        )

    async def work(self) -> None:
        """Until ``finish``, a failed task (the orchestrator revises), or the coder stops."""
        run = self.run
        role = CODER_COMPACT if run.compact else CODER
        if self.details is None:  # the plan as the coder first saw it: later changes are
            # appended to the exchange, so the prompt's prefix never changes (prompt caches)
            self.details = (
                f"The plan:\n{run.plan.render()}\n\nWork through the open tasks in order."
            )
        details = self.details

        def prompt(exchange: Sequence[Message]) -> AssembledPrompt:
            step = CurrentStep(request=run.request, details=details, exchange=exchange)
            return assemble(run, role, step)

        def on_text(reply: AssistantMessage) -> Nudge | None:
            text = reply.content.strip()
            if run.progress != self.nudged_at:
                self.nudges = 0  # only progress earns the coder fresh reminders
            if not run.plan.open_tasks() or self.nudges >= MAX_NUDGES:
                return None
            if text:
                run.emit(MessagePosted(role="assistant", agent="coder", text=text))
            self.nudges += 1
            self.nudged_at = run.progress
            return Nudge(text=nudge_text(run))

        turn = await run_agent(
            run,
            role,
            self.turn,
            prompt=prompt,
            done=lambda: run.finished or bool(run.failed_tasks),
            on_text=on_text,
            interpret=python_block_as_proposal,
        )
        if turn.ended in ("text", "idle"):
            self.stalled = True
            run.summary = turn.text or run.summary

    async def settle_revision(self) -> bool:
        """After a stall: the cell the reviewer sent back and the coder left goes to the
        user. When the user decided, the coder hears the outcome and may go on."""
        reply = await settle_revision(self.run)
        if reply is None:
            return False
        text = reply if isinstance(reply, str) else reply.text
        self.turn.exchange.append(
            UserMessage(
                content="You left the cell the reviewer sent back, so the user was asked "
                f"about it as it was. The outcome:\n{text}\n\nGo on with the plan, or "
                "call finish(summary) with what the cells printed."
            )
        )
        self.stalled = False
        self.run.summary = None
        return True
