"""The coder: reason → propose a cell → observe the outputs → repeat, task by task."""

from __future__ import annotations

from collections.abc import Sequence

from ..events import MessagePosted
from ..memory import AssembledPrompt, CurrentStep
from ..models import AssistantMessage, Message, UserMessage
from ..tools import READ_TOOLS, RunContext, finish, propose_cell, update_task
from . import prompts
from .loop import AgentTurn, Nudge, Role, run_agent
from .planner import assemble

CODER = Role(
    name="coder",
    instructions=prompts.CODER,
    tools=(propose_cell, update_task, finish, *READ_TOOLS),
    narrates=True,
)
# Replies without a tool call while tasks are open: remind the coder this often, then stop.
MAX_NUDGES = 2
NUDGE = (
    "Continue with the open tasks (propose_cell, update_task), "
    "or call finish(summary) if the work is done."
)


class CoderSession:
    """The coder's side of one run; ``work`` may be resumed after a plan revision."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.turn = AgentTurn()
        self.nudges = 0
        self.stalled = False

    def plan_revised(self) -> None:
        self.turn.exchange.append(
            UserMessage(content=f"The planner revised the plan:\n{self.run.plan.render()}")
        )

    async def work(self) -> None:
        """Until ``finish``, a failed task (the orchestrator revises), or the coder stops."""
        run = self.run

        def prompt(exchange: Sequence[Message]) -> AssembledPrompt:
            step = CurrentStep(
                request=run.request,
                details=f"The plan:\n{run.plan.render()}\n\nWork through the open tasks in order.",
                exchange=exchange,
            )
            return assemble(run, CODER, step)

        def on_text(reply: AssistantMessage) -> Nudge | None:
            text = reply.content.strip()
            if not run.plan.open_tasks() or self.nudges >= MAX_NUDGES:
                return None
            if text:
                run.emit(MessagePosted(role="assistant", agent="coder", text=text))
            self.nudges += 1
            return Nudge(text=NUDGE)

        turn = await run_agent(
            run,
            CODER,
            self.turn,
            prompt=prompt,
            done=lambda: run.finished or bool(run.failed_tasks),
            on_text=on_text,
        )
        if turn.ended == "text":
            self.stalled = True
            run.summary = turn.text or run.summary
        else:
            self.nudges = 0
