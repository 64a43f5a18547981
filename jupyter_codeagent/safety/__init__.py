"""Static safety of proposed cells: the risk analyzer and the approval gate."""

from __future__ import annotations

from .async_analysis import ANALYSIS_TIMEOUT_S, analyze_code_async, fail_closed_report
from .cellio import CellIO, cell_io
from .facts import SessionFacts
from .findings import APPROVAL_REQUIRED_CODES, RiskFinding, RiskLevel, RiskReport, Severity
from .policy import GateAction, GateDecision, decide
from .risk import MAX_SOURCE_CHARS, analyze_code

__all__ = [
    "ANALYSIS_TIMEOUT_S",
    "APPROVAL_REQUIRED_CODES",
    "MAX_SOURCE_CHARS",
    "CellIO",
    "GateAction",
    "GateDecision",
    "RiskFinding",
    "RiskLevel",
    "RiskReport",
    "SessionFacts",
    "Severity",
    "analyze_code",
    "analyze_code_async",
    "cell_io",
    "decide",
    "fail_closed_report",
]
