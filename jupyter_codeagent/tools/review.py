"""The review of a proposed cell: what the reviewer is asked, what it answers, and its
one tool, ``submit_review``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ..safety import RiskReport
from .base import tool

if TYPE_CHECKING:
    from .context import RunContext

Verdict = Literal["approve", "revise", "block"]
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, kw_only=True)
class ReviewRequest:
    """One cell to review, with what the static analysis found in it."""

    code: str
    explanation: str
    task_title: str
    report: RiskReport


@dataclass(frozen=True, kw_only=True)
class CellReview:
    """The reviewer's answer; ``verdict`` None means it gave no usable review."""

    verdict: Verdict | None
    risk: str
    comments: str
    #: Analysis pitfalls the reviewer found (leakage, a scaler fit on all data...).
    pitfalls: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.verdict is not None


NO_REVIEW = CellReview(
    verdict=None,
    risk="medium",
    comments="The reviewer did not submit a usable review; the user decides.",
)


def higher_risk(a: str, b: str) -> str:
    return a if _RISK_ORDER.get(a, 2) >= _RISK_ORDER.get(b, 2) else b


@tool
async def submit_review(
    run: RunContext,
    verdict: Verdict,
    risk: Literal["low", "medium", "high"],
    comments: str,
    pitfalls: Annotated[
        list[Annotated[str, Field(max_length=300)]],
        Field(
            max_length=10,
            description="Analysis pitfalls in the cell, one short sentence each (train/test "
            "leakage, a scaler fit on all the data, the target among the features, mixed "
            "units...); empty when there are none.",
        ),
    ] = [],  # noqa: B006 - pydantic copies defaults; the schema needs a literal default
) -> str:
    """Submit your review of the proposed cell: 'approve' if it is correct and safe,
    'revise' with concrete comments if it should be changed, 'block' if it must never run."""
    run.submitted_review = CellReview(
        verdict=verdict,
        risk=risk,
        comments=comments.strip(),
        pitfalls=tuple(p.strip() for p in pitfalls if p.strip()),
    )
    return "Review recorded."
