"""Static safety of proposed cells: the risk analyzer and the approval gate."""

from __future__ import annotations

from .findings import RiskFinding, RiskLevel, RiskReport, Severity
from .policy import GateAction, GateDecision, decide
from .risk import analyze_code

__all__ = [
    "GateAction",
    "GateDecision",
    "RiskFinding",
    "RiskLevel",
    "RiskReport",
    "Severity",
    "analyze_code",
    "decide",
]
