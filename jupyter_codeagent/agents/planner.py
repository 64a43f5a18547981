"""The planner: answers directly, or turns the request into an ordered plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..memory import AssembledPrompt, CurrentStep
from ..models import Message
from ..tools import READ_TOOLS, RunContext, create_plan
from . import prompts
from .loop import AgentTurn, Role, run_agent

PLANNER = Role(
    name="planner",
    instructions=prompts.PLANNER,
    tools=(create_plan, *READ_TOOLS),
    narrates=True,  # beside a plan, the planner's words are commentary worth showing
)
MAX_PLANNER_CALLS = 6


@dataclass(frozen=True, kw_only=True)
class PlannerOutcome:
    planned: bool
    answer: str


async def plan_request(run: RunContext, *, revision_note: str | None = None) -> PlannerOutcome:
    """Run the planner until it creates a plan or answers in text."""
    details: list[str] = []
    if run.plan.tasks:
        details.append("The plan so far:\n" + run.plan.render())
    if revision_note:
        details.append(
            f"The plan needs revising: {revision_note}\n"
            "Call create_plan with the remaining tasks, or answer in text to stop."
        )
    plan_before = run.plan

    def prompt(exchange: Sequence[Message]) -> AssembledPrompt:
        step = CurrentStep(request=run.request, details="\n\n".join(details), exchange=exchange)
        return assemble(run, PLANNER, step)

    turn = await run_agent(
        run,
        PLANNER,
        AgentTurn(),
        prompt=prompt,
        done=lambda: run.plan is not plan_before,
        max_calls=MAX_PLANNER_CALLS,
    )
    planned = run.plan is not plan_before
    # A text-only reply is the answer; text beside tool calls was shown as it came.
    return PlannerOutcome(planned=planned, answer=turn.text if turn.ended == "text" else "")


def assemble(run: RunContext, role: Role, step: CurrentStep) -> AssembledPrompt:
    """The role's prompt from the session's memory tiers, fitted to the run's budget."""
    assert run.memory is not None, "the orchestrator prepares the memory first"
    model = run.model(role.name)
    return run.memory.assemble(
        system=role.instructions,
        step=step,
        tools=[t.spec for t in role.tools],
        budget=run.settings.agents.prompt_token_budget,
        model_key=f"{model.provider}:{model.model}",
        max_images=run.settings.models.vision_max_images,
    )
