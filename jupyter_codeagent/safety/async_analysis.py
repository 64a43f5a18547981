"""The analyzer off the event loop, with a time cap, failing closed.

``analyze_code_async`` runs ``analyze_code`` in a daemon thread and waits for it with a
timeout. On timeout, on an internal error, or when too many analyses are already
running, it returns a report whose finding forces the user's approval under every
policy (``RiskReport.requires_approval``) — never a silent "low".

A thread rather than a process: the analysis is linear in the size of a capped source
(tens of milliseconds at the cap), so a process's start-up or a pool's pickling would
cost more than the work, and forking a server that runs an event loop and threads is
fragile. The GIL is released to the event loop at every switch interval (5 ms), so a
long analysis slows the loop but does not freeze it. A thread cannot be killed: after a
timeout it runs to its end, which is why at most ``_MAX_RUNNING`` run at once and the
threads are daemons (a stuck one never holds up the server's shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Literal

from .facts import SessionFacts
from .findings import RiskReport, finding
from .risk import MAX_SOURCE_CHARS, analyze_code

log = logging.getLogger(__name__)

ANALYSIS_TIMEOUT_S = 2.0  # a 100 kB cell takes well under 0.5 s even on a loaded machine
_MAX_RUNNING = 4

FailureReason = Literal["timeout", "error", "busy"]

_running = 0
_running_lock = threading.Lock()


async def analyze_code_async(
    code: str,
    *,
    root_dir: str | None = None,
    cwd: str | None = None,
    session: SessionFacts | None = None,
    timeout: float = ANALYSIS_TIMEOUT_S,
) -> RiskReport:
    """``analyze_code`` in a worker thread; a fail-closed report if it cannot finish."""
    global _running
    if len(code) > MAX_SOURCE_CHARS:
        return analyze_code(code)  # refused at once, without reading it
    with _running_lock:
        if _running >= _MAX_RUNNING:
            return fail_closed_report("busy")
        _running += 1
    loop = asyncio.get_running_loop()
    future: asyncio.Future[RiskReport] = loop.create_future()

    def work() -> None:
        global _running
        result: RiskReport | BaseException
        try:
            result = analyze_code(code, root_dir=root_dir, cwd=cwd, session=session)
        except Exception as error:  # our bug: reported through the future, fails closed
            result = error
        finally:
            with _running_lock:
                _running -= 1
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, future, result)

    threading.Thread(target=work, name="codeagent-risk-analysis", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except asyncio.TimeoutError:
        future.add_done_callback(_consume)  # an error after the timeout is not "unretrieved"
        log.warning("risk analysis of a %d-character cell timed out after %ss", len(code), timeout)
        return fail_closed_report("timeout", f"after {timeout:g} s")
    except Exception:
        log.exception("risk analysis failed")
        return fail_closed_report("error")


def _settle(future: asyncio.Future[RiskReport], result: RiskReport | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _consume(future: asyncio.Future[RiskReport]) -> None:
    if not future.cancelled():
        future.exception()


def fail_closed_report(reason: FailureReason, detail: str = "") -> RiskReport:
    """The report for a cell whose analysis did not complete: the user must decide."""
    why = {
        "timeout": "took too long",
        "error": "failed with an internal error",
        "busy": "is busy with other cells",
    }[reason]
    extra = f" ({detail})" if detail else ""
    return RiskReport.from_findings(
        [
            finding(
                "analysis_incomplete",
                "high",
                f"The safety check {why}{extra}, so this cell is unchecked; it needs your "
                "approval whatever the approval policy",
                None,
            )
        ]
    )
