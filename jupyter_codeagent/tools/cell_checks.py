"""What ``propose_cell`` checks a cell with: the static analysis with the session's
facts, the facts a cell that ran adds, and the review card the user sees."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from ..events import Finding, Review
from ..memory.registry import DataObjectRegistry
from ..safety import RiskReport, SessionFacts, analyze_code_async, cell_io
from .review import CellReview, higher_risk

if TYPE_CHECKING:
    from .context import RunContext


def data_objects(run: RunContext) -> DataObjectRegistry:
    """The session's data objects (the notebook's variables); empty without memory."""
    return run.memory.state.registry if run.memory is not None else DataObjectRegistry()


async def analyze(run: RunContext, code: str) -> RiskReport:
    """The static analysis of ``code`` with what the session knows, off the event loop
    and time-capped (an analysis that cannot finish asks the user, whatever the policy)."""
    facts = run.facts
    user_objects = {
        name for name, obj in data_objects(run).objects.items() if obj.created_cell is None
    }
    session = SessionFacts.of(
        files_read=facts.files_read,
        files_written=facts.files_written,
        user_objects=user_objects - facts.agent_names,
    )
    return await analyze_code_async(
        code, root_dir=run.root_dir, cwd=notebook_folder(run), session=session
    )


def notebook_folder(run: RunContext) -> str:
    """The kernel's working directory: the notebook's folder, absolute."""
    return os.path.join(run.root_dir, os.path.dirname(run.notebook_path))


def learn(run: RunContext, source: str) -> None:
    """What a cell that ran read, wrote and created: facts for the next analyses."""
    try:
        io = cell_io(source, root_dir=run.root_dir, cwd=notebook_folder(run))
    except (SyntaxError, ValueError, RecursionError):
        return
    run.facts.files_read.update(io.reads)
    run.facts.files_written.update(io.writes)
    run.facts.agent_names.update(io.binds)


def block_only_for_danger(review: CellReview, report: RiskReport) -> CellReview:
    """A reviewer's block stands for danger: a high risk, or something the analyzer
    flagged. Small models also "block" code they merely find wrong or incomplete (risk
    low or medium, nothing flagged), which left every cell blocked and nothing run; that
    is a revision. It stays fail-closed: a revision the coder does not resolve goes to
    the user under every approval policy, it never runs unattended."""
    if review.verdict != "block" or review.risk == "high" or report.risk != "low":
        return review
    return replace(review, verdict="revise")


def review_card(report: RiskReport, review: CellReview) -> Review:
    """The review shown with the cell: the reviewer's verdict and the analyzer's findings."""
    blocked_by: Literal["analyzer", "reviewer"] | None = None
    if report.blocking:
        blocked_by = "analyzer"
    elif review.verdict == "block":
        blocked_by = "reviewer"
    return Review(
        verdict=review.verdict or "none",
        risk=higher_risk(review.risk, report.risk),  # type: ignore[arg-type]
        comments=review.comments,
        findings=(
            *(
                Finding(code=f.code, severity=f.severity, message=f.message, line=f.line)
                for f in report.findings
            ),
            *(
                Finding(code="analysis_pitfall", severity="warning", message=f"Reviewer: {p}")
                for p in review.pitfalls
            ),
        ),
        blocking=report.blocking,
        blocked_by=blocked_by,
    )
