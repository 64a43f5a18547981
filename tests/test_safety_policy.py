"""The approval gate: the exact policy matrix, block precedence, and bad input."""

from __future__ import annotations

import itertools

import pytest

from jupyter_codeagent.safety import GateDecision, RiskFinding, RiskReport, analyze_code, decide

LOW = RiskReport(risk="low", findings=())
INFO = RiskReport(
    risk="low",
    findings=(RiskFinding(code="dotenv_load", severity="info", message="Loads .env", line=1),),
)
MEDIUM = RiskReport(
    risk="medium",
    findings=(
        RiskFinding(code="write_unverified_path", severity="warning", message="Writes a path"),
    ),
)
HIGH = RiskReport(
    risk="high",
    findings=(RiskFinding(code="network_call", severity="high", message="Accesses the network"),),
)
BLOCKING = RiskReport(
    risk="high",
    findings=(
        RiskFinding(
            code="recursive_delete",
            severity="block",
            message="Deletes a directory tree recursively (shutil.rmtree) — blocked",
            line=2,
        ),
    ),
)
REPORTS = {"low": LOW, "info": INFO, "medium": MEDIUM, "high": HIGH, "blocking": BLOCKING}
POLICIES = ("always", "risky", "never")
VERDICTS = ("approve", "revise", "block", None)
REVIEWER_RISKS = ("low", "medium", "high", None)

# (policy, report, verdict, reviewer_risk) → (action, approved_by)
MATRIX = [
    # a blocking finding or a reviewer "block" wins under every policy
    ("always", "blocking", "approve", "low", "block", None),
    ("risky", "blocking", "approve", "low", "block", None),
    ("never", "blocking", "approve", "low", "block", None),
    ("never", "blocking", None, None, "block", None),
    ("always", "low", "block", "low", "block", None),
    ("risky", "low", "block", "low", "block", None),
    ("never", "low", "block", None, "block", None),
    # always: every cell waits for the user
    ("always", "low", "approve", "low", "ask", None),
    ("always", "low", None, None, "ask", None),
    ("always", "high", "approve", "high", "ask", None),
    # risky: only analyzer-low + reviewer-approved-low runs
    ("risky", "low", "approve", "low", "run", "policy:risky"),
    ("risky", "low", "approve", None, "run", "policy:risky"),
    ("risky", "info", "approve", "low", "run", "policy:risky"),
    ("risky", "low", "approve", "medium", "ask", None),
    ("risky", "low", "approve", "high", "ask", None),
    ("risky", "low", "approve", "unknown", "ask", None),
    ("risky", "low", "revise", "low", "ask", None),
    ("risky", "low", None, None, "ask", None),
    ("risky", "low", None, "low", "ask", None),
    ("risky", "medium", "approve", "low", "ask", None),
    ("risky", "high", "approve", "low", "ask", None),
    # never: runs unless blocked, and fails closed: no usable review or an unaddressed
    # "revise" asks the user
    ("never", "low", "approve", "low", "run", "policy:never"),
    ("never", "medium", "revise", "high", "ask", None),
    ("never", "high", None, None, "ask", None),
    ("never", "high", "approve", "high", "run", "policy:never"),
    ("never", "info", "approve", "medium", "run", "policy:never"),
]


@pytest.mark.parametrize(
    ("policy", "report", "verdict", "reviewer_risk", "action", "approved_by"),
    MATRIX,
    ids=[f"{m[0]}-{m[1]}-{m[2]}-{m[3]}" for m in MATRIX],
)
def test_policy_matrix(
    policy: str,
    report: str,
    verdict: str | None,
    reviewer_risk: str | None,
    action: str,
    approved_by: str | None,
) -> None:
    decision = decide(policy, REPORTS[report], verdict, reviewer_risk)  # type: ignore[arg-type]
    assert (decision.action, decision.approved_by) == (action, approved_by)
    assert decision.reason.strip().endswith(".")


def _expected(policy: str, report: str, verdict: str | None, risk: str | None) -> str:
    """The rules of the issue, written independently of the implementation."""
    if report == "blocking" or verdict == "block":
        return "block"
    if policy == "always":
        return "ask"
    if verdict in (None, "revise"):
        return "ask"  # fail closed: no usable review, or changes not made
    if policy == "never":
        return "run"
    all_low = report in ("low", "info") and verdict == "approve" and risk in ("low", None)
    return "run" if all_low else "ask"


@pytest.mark.parametrize("policy", POLICIES)
def test_every_combination_follows_the_rules(policy: str) -> None:
    for report, verdict, risk in itertools.product(REPORTS, VERDICTS, REVIEWER_RISKS):
        decision = decide(policy, REPORTS[report], verdict, risk)  # type: ignore[arg-type]
        assert decision.action == _expected(policy, report, verdict, risk), (report, verdict, risk)
        assert (decision.approved_by is not None) == (decision.action == "run")
        if decision.approved_by is not None:
            assert decision.approved_by == f"policy:{policy}"


def test_reasons_say_why() -> None:
    blocked = decide("never", BLOCKING, "approve", "low")
    assert "safety check" in blocked.reason and "shutil.rmtree" in blocked.reason
    assert "reviewer" in decide("never", LOW, "block").reason
    assert "every cell" in decide("always", LOW, "approve", "low").reason
    waiting = decide("risky", HIGH, "approve", "low").reason
    assert "high risk" in waiting and "Accesses the network" in waiting
    assert "reviewer rates it medium" in decide("risky", LOW, "approve", "medium").reason
    assert "changes" in decide("risky", LOW, "revise", "low").reason
    assert "no reviewer" in decide("risky", LOW, None).reason
    assert "'never'" in decide("never", HIGH, "approve").reason
    assert "no reviewer" in decide("never", HIGH, None).reason


@pytest.mark.parametrize("policy", ["risky", "never"])
def test_without_a_sandbox_unattended_policies_ask(policy: str) -> None:
    decision = decide(
        policy, LOW, "approve", "low", sandboxed=False, unsandboxed_reason="bubblewrap missing"
    )
    assert decision.action == "ask" and decision.approved_by is None
    assert "sandboxed" in decision.reason and "bubblewrap missing" in decision.reason
    # ... but blocking still wins, and "always" is unchanged.
    assert decide(policy, BLOCKING, "approve", "low", sandboxed=False).action == "block"


def test_an_incomplete_analysis_is_never_run_unattended() -> None:
    from jupyter_codeagent.safety import fail_closed_report

    report = fail_closed_report("timeout")
    for policy in ("risky", "never"):
        decision = decide(policy, report, "approve", "low")
        assert decision.action == "ask", policy
        assert "could not finish" in decision.reason or "risk" in decision.reason


def test_several_blocking_findings_are_counted() -> None:
    report = analyze_code("import shutil\nshutil.rmtree('a')\n!rm -rf b\n")
    decision = decide("never", report, "approve", "low")
    assert decision.action == "block" and "1 more" in decision.reason


def test_with_the_real_analyzer() -> None:
    safe = analyze_code("df = pd.read_csv('data.csv')\ndf.describe()")
    assert decide("risky", safe, "approve", "low").action == "run"
    unsafe = analyze_code("import shutil\nshutil.rmtree('data')")
    assert all(decide(p, unsafe, "approve", "low").action == "block" for p in POLICIES)
    network = analyze_code("import requests\nrequests.get('https://x')")
    assert decide("risky", network, "approve", "low").action == "ask"


@pytest.mark.parametrize("policy", ["", "Always", "sometimes", "auto"])
def test_unknown_policy_is_a_bug(policy: str) -> None:
    with pytest.raises(ValueError, match="approval policy"):
        decide(policy, LOW, "approve", "low")


def test_unknown_policy_raises_even_when_blocked() -> None:
    with pytest.raises(ValueError):
        decide("sometimes", BLOCKING, "block")


def test_unknown_verdict_is_a_bug() -> None:
    with pytest.raises(ValueError, match="verdict"):
        decide("risky", LOW, "maybe", "low")  # type: ignore[arg-type]


def test_decision_is_frozen_and_serialisable() -> None:
    decision = decide("risky", LOW, "approve", "low")
    assert decision == GateDecision(
        action="run", reason=decision.reason, approved_by="policy:risky"
    )
    assert decision.to_json() == {
        "action": "run",
        "reason": decision.reason,
        "approved_by": "policy:risky",
    }
    with pytest.raises(AttributeError):
        decision.action = "block"  # type: ignore[misc]
