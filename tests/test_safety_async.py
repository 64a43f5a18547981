"""The analyzer off the event loop: results, the size cap, and failing closed."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from jupyter_codeagent.safety import (
    MAX_SOURCE_CHARS,
    RiskReport,
    analyze_code,
    analyze_code_async,
    async_analysis,
    fail_closed_report,
)

ROOT = "/home/ds/project"


def test_same_report_as_the_synchronous_analysis() -> None:
    code = "import os\nos.system('make')\ndf.to_csv('/tmp/x.csv')"
    report = asyncio.run(analyze_code_async(code, root_dir=ROOT))
    assert report == analyze_code(code, root_dir=ROOT)


def test_runs_in_another_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []

    def spy(code: str, **kwargs: object) -> RiskReport:
        threads.append(threading.current_thread().name)
        return RiskReport.from_findings([])

    monkeypatch.setattr(async_analysis, "analyze_code", spy)
    asyncio.run(analyze_code_async("x = 1"))
    assert threads and threads[0] != threading.main_thread().name


def test_timeout_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck(code: str, **kwargs: object) -> RiskReport:
        release.wait(5)
        return RiskReport.from_findings([])

    monkeypatch.setattr(async_analysis, "analyze_code", stuck)
    try:
        report = asyncio.run(analyze_code_async("x = 1", timeout=0.05))
    finally:
        release.set()
    assert report.requires_approval and report.risk == "high" and not report.blocking
    assert [f.code for f in report.findings] == ["analysis_incomplete"]
    assert "took too long" in report.findings[0].message


def test_internal_error_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(code: str, **kwargs: object) -> RiskReport:
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr(async_analysis, "analyze_code", broken)
    report = asyncio.run(analyze_code_async("x = 1"))
    assert report.requires_approval and report.risk == "high"
    assert "internal error" in report.findings[0].message


def test_too_many_running_analyses_fail_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_analysis, "_running", async_analysis._MAX_RUNNING)
    report = asyncio.run(analyze_code_async("x = 1"))
    assert report.requires_approval and "busy" in report.findings[0].message


def test_the_event_loop_keeps_running_during_an_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(code: str, **kwargs: object) -> RiskReport:
        time.sleep(0.3)
        return RiskReport.from_findings([])

    monkeypatch.setattr(async_analysis, "analyze_code", slow)

    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await analyze_code_async("x = 1")
        task.cancel()
        return ticks

    assert asyncio.run(main()) > 5


def test_oversized_sources_are_blocked_sync_and_async() -> None:
    code = "x = 1\n" * (MAX_SOURCE_CHARS // 6 + 1)
    assert len(code) > MAX_SOURCE_CHARS
    for report in (analyze_code(code), asyncio.run(analyze_code_async(code))):
        assert report.blocking
        assert [f.code for f in report.findings] == ["source_too_large"]
    at_cap = "#" * MAX_SOURCE_CHARS
    assert not analyze_code(at_cap).blocking


def test_fail_closed_report_is_never_low() -> None:
    for reason in ("timeout", "error", "busy"):
        report = fail_closed_report(reason)  # type: ignore[arg-type]
        assert report.risk == "high" and report.requires_approval


def test_ordinary_reports_do_not_require_approval_by_themselves() -> None:
    assert not analyze_code("import os\nos.system('make')").requires_approval
