"""The approval gate: given the policy, the analyzer's report and the reviewer's verdict,
does a proposed cell run now, wait for the user, or never run?

Blocking always wins: a blocking finding or a reviewer "block" stops the cell under
every policy, including ``never`` (which only waives the *user's* approval).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..settings import APPROVAL_POLICIES
from .findings import SEVERITY_RANK, RiskReport

GateAction = Literal["block", "ask", "run"]
Verdict = Literal["approve", "revise", "block"]

POLICIES: tuple[str, ...] = APPROVAL_POLICIES  # "always" (default), "risky", "never"
_VERDICTS = ("approve", "revise", "block")


@dataclass(frozen=True, kw_only=True)
class GateDecision:
    """What happens to a proposed cell, and why (``reason`` is shown to the user).

    ``approved_by`` names the policy that let the cell run without the user
    (``"policy:never"``, ``"policy:risky"``); None when blocked or asking.
    """

    action: GateAction
    reason: str
    approved_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason, "approved_by": self.approved_by}


def decide(
    policy: str,
    report: RiskReport,
    verdict: Verdict | None,
    reviewer_risk: str | None = None,
    *,
    sandboxed: bool = True,
    unsandboxed_reason: str | None = None,
) -> GateDecision:
    """Apply the approval policy to one reviewed cell.

    ``verdict`` is the reviewer's (None when no usable review happened); ``reviewer_risk``
    is the risk the reviewer gave (``low``/``medium``/``high``; anything else counts as
    not low). ``sandboxed`` says whether the kernel runs in a sandbox: unattended
    policies run cells only there. Every doubt — no usable review, a "revise" that was
    not addressed, an analysis that could not finish, no sandbox — asks the user, under
    every policy (fail closed). An unknown policy or verdict is our bug: ValueError.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown approval policy {policy!r}; expected one of {POLICIES}")
    if verdict is not None and verdict not in _VERDICTS:
        raise ValueError(f"unknown reviewer verdict {verdict!r}; expected one of {_VERDICTS}")

    blockers = [f for f in report.findings if f.severity == "block"]
    if blockers:
        more = f" (and {len(blockers) - 1} more)" if len(blockers) > 1 else ""
        return GateDecision(
            action="block",
            reason=f"Blocked by the safety check: {blockers[0].message}{more}. "
            "This cell will not run under any approval policy.",
        )
    if verdict == "block":
        return GateDecision(
            action="block",
            reason="Blocked by the reviewer agent. This cell will not run under any "
            "approval policy.",
        )

    if policy == "always":
        return GateDecision(
            action="ask", reason="Waiting for your approval: the policy is to ask for every cell."
        )
    doubts: list[str] = []
    if not sandboxed:
        why = f" ({unsandboxed_reason})" if unsandboxed_reason else ""
        doubts.append(
            f"the '{policy}' policy runs cells unattended only in a sandboxed kernel, and "
            f"this kernel is not sandboxed{why}"
        )
    if report.requires_approval:
        doubts.append("the safety check could not finish its analysis")
    if verdict is None:
        doubts.append("no reviewer has approved it")
    elif verdict == "revise":
        doubts.append("the reviewer still asks for changes")
    if policy == "never":
        if doubts:
            return GateDecision(action="ask", reason=_waiting(doubts))
        return GateDecision(
            action="run",
            reason="Runs without asking: the approval policy is 'never' and nothing blocks it.",
            approved_by="policy:never",
        )

    # policy == "risky": run only what both the analyzer and the reviewer call low risk.
    if report.risk != "low":
        worst = max(report.findings, key=lambda f: SEVERITY_RANK[f.severity], default=None)
        detail = f" ({worst.message})" if worst is not None else ""
        doubts.append(f"the safety check rates it {report.risk} risk{detail}")
    if reviewer_risk is not None and reviewer_risk != "low":
        doubts.append(f"the reviewer rates it {reviewer_risk} risk")
    if doubts:
        return GateDecision(action="ask", reason=_waiting(doubts))
    return GateDecision(
        action="run",
        reason="Runs without asking: the safety check and the reviewer both rate it low "
        "risk (approval policy 'risky').",
        approved_by="policy:risky",
    )


def _waiting(doubts: list[str]) -> str:
    return "Waiting for your approval: " + "; ".join(doubts) + "."
