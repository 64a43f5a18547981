"""The reviewer: a second model that reads every proposed cell before anyone runs it.

One reviewer conversation per session: each cell's review request is appended to the
same exchange, so the reviewer remembers the cells it already saw and every review
request repeats the previous one as its prefix (what prompt caches reuse). The oldest
reviews are forgotten when the conversation outgrows half the prompt budget.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..memory.budget import keep_last_images
from ..memory.tokens import estimate_messages
from ..models import AssistantMessage, ImagePart, Message, SystemMessage, UserMessage
from ..models.vision import sees_images
from ..safety import RiskReport
from ..tools import RunContext, submit_review
from ..tools.review import NO_REVIEW, CellReview, ReviewRequest
from . import prompts
from .interpret import bare_verdict_as_review
from .loop import AgentTurn, Nudge, Role, run_agent

REVIEWER = Role(
    name="reviewer", instructions=prompts.REVIEWER, tools=(submit_review,), stream=False
)
MAX_REVIEWER_CALLS = 2
REMINDER = "Call `submit_review` with verdict, risk and comments; no other answer."


def findings_text(report: RiskReport) -> str:
    if not report.findings:
        return "The static analyzer found nothing of note."
    lines = [f"- [{f.severity}] {f.message}" for f in report.findings]
    return "Static analyzer findings:\n" + "\n".join(lines)


class Reviewer:
    """The run's reviewer; call it with each cell to review."""

    def __init__(self) -> None:
        self.turn = AgentTurn()
        self._images_shown: set[str] = set()  # cells whose charts the reviewer has seen

    async def __call__(self, run: RunContext, request: ReviewRequest) -> CellReview:
        """Ask the reviewer; one reminder if it forgets to call ``submit_review``."""
        opening: list[Message] = [SystemMessage(content=REVIEWER.instructions)]
        self._fit(opening, run.budget)
        images, seen = self._new_images(run)
        self.turn.exchange.append(
            UserMessage(
                content=(
                    f"User request: {run.request}\n"
                    f"Task: {request.task_title or '(none given)'}\n"
                    f"Coder's explanation: {request.explanation}\n\n"
                    f"Proposed cell:\n```python\n{request.code}\n```\n\n"
                    f"{findings_text(request.report)}{seen}"
                ),
                images=images,
            )
        )
        limit = run.settings.models.vision_max_images
        self.turn.exchange[:] = keep_last_images(tuple(self.turn.exchange), limit)
        run.submitted_review = None

        def prompt(exchange: Sequence[Message]) -> list[Message]:
            return [*opening, *exchange]

        def on_text(reply: AssistantMessage) -> Nudge | None:
            return Nudge(text=REMINDER)

        await run_agent(
            run,
            REVIEWER,
            self.turn,
            prompt=prompt,
            done=lambda: run.submitted_review is not None,
            on_text=on_text,
            interpret=bare_verdict_as_review,
            max_calls=MAX_REVIEWER_CALLS,
        )
        review, run.submitted_review = run.submitted_review, None
        return review or NO_REVIEW

    def _new_images(self, run: RunContext) -> tuple[tuple[ImagePart, ...], str]:
        """The charts of the last cell that ran, if the reviewer has not seen them."""
        last = run.results[-1] if run.results else None
        if last is None or not last.images or last.cell_id in self._images_shown:
            return (), ""
        if not sees_images(run.settings.models, REVIEWER.name):
            return (), ""
        self._images_shown.add(last.cell_id)
        return last.images, (
            f"\n\nThe images the previous cell ({last.cell_id}) drew are attached: check "
            "that they show what the analysis needs (axes, labels, scales, empty plots)."
        )

    def _fit(self, opening: list[Message], budget: int) -> None:
        """Forget the oldest reviews when the conversation outgrows half the budget."""
        exchange = self.turn.exchange
        while exchange and estimate_messages([*opening, *exchange]) > budget // 2:
            # Drop one whole review: its request up to the next request.
            nxt = next(
                (
                    i
                    for i, m in enumerate(exchange[1:], 1)
                    if isinstance(m, UserMessage) and m.content.startswith("User request:")
                ),
                len(exchange),
            )
            del exchange[:nxt]


def new_reviewer() -> Reviewer:
    return Reviewer()
