"""The result types of the static risk analysis: findings and the report around them.

Kept apart from ``risk.py`` so the helper modules (shell, magics, paths) can build
findings without importing the analyzer that imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["info", "warning", "high", "block"]
RiskLevel = Literal["low", "medium", "high"]

SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "high": 2, "block": 3}

# Findings that mean the analysis itself did not complete (timeout, internal error,
# analyzer overloaded): the cell must wait for the user under every policy, "never"
# included — the gate cannot know what the cell does. See RiskReport.requires_approval.
APPROVAL_REQUIRED_CODES = frozenset({"analysis_incomplete"})


@dataclass(frozen=True, kw_only=True)
class RiskFinding:
    """One thing the analyzer noticed in a proposed cell.

    ``code`` is stable (clients and tests match on it); ``message`` is written for the
    data scientist who approves the cell; ``line`` is 1-based in the cell's source.
    """

    code: str
    severity: Severity
    message: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
        }


@dataclass(frozen=True, kw_only=True)
class RiskReport:
    """Everything the analyzer found in one cell, with the overall risk level."""

    risk: RiskLevel
    findings: tuple[RiskFinding, ...]

    @property
    def blocking(self) -> bool:
        """True when the cell must never run, whatever the approval policy."""
        return any(f.severity == "block" for f in self.findings)

    @property
    def requires_approval(self) -> bool:
        """True when the user must approve the cell under every policy (fail closed).

        Set when the analysis did not complete; the gate must then ask even under
        ``never``. (``blocking`` still wins: a blocked cell never runs.)
        """
        return any(f.code in APPROVAL_REQUIRED_CODES for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "risk": self.risk,
            "blocking": self.blocking,
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_findings(cls, findings: Iterable[RiskFinding]) -> RiskReport:
        """Deduplicate, order by line, and derive the risk level."""
        unique: dict[tuple[str, str, str, int | None], RiskFinding] = {}
        for finding in findings:
            # The same problem reached twice (an alias and its target, a nested string)
            # is reported once.
            key = (finding.code, finding.severity, finding.message, finding.line)
            unique.setdefault(key, finding)
        ordered = sorted(
            unique.values(),
            key=lambda f: (f.line if f.line is not None else 0, -SEVERITY_RANK[f.severity]),
        )
        return cls(risk=risk_level(ordered), findings=tuple(ordered))


def risk_level(findings: Iterable[RiskFinding]) -> RiskLevel:
    """high if anything is high or blocking, medium on warnings; info never counts."""
    worst = max((SEVERITY_RANK[f.severity] for f in findings), default=0)
    if worst >= SEVERITY_RANK["high"]:
        return "high"
    if worst == SEVERITY_RANK["warning"]:
        return "medium"
    return "low"


def finding(code: str, severity: Severity, message: str, line: int | None) -> RiskFinding:
    """Shorthand used throughout the analyzer (positional, to keep call sites short)."""
    return RiskFinding(code=code, severity=severity, message=message, line=line)


def shorten(text: str, limit: int = 80) -> str:
    """A one-line excerpt of code for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
