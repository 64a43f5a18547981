"""Run one request on a kernel and wait for it: outputs, reply, timeout, death.

Callers hold the connection's lock, so at most one of our requests is in flight per
kernel. The waiting itself is ``waiting.wait_for_request``; this module turns what
happened into an ``ExecutionResult`` (or a reply, for silent requests).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..errors import KernelDiedError, KernelError
from .connection import KernelConnection
from .link import KernelLink
from .outputs import OutputCallback, OutputCollector
from .types import ABORTED_ERROR, KERNEL_DIED_ERROR, TIMEOUT_ERROR, ExecutionResult
from .waiting import wait_for_request

log = logging.getLogger(__name__)

# After an interrupt (on timeout) the kernel gets this long to finish the request.
INTERRUPT_GRACE = 5.0
#: A stopped cell is interrupted up to this many times, this many seconds apart.
STOP_ATTEMPTS = 5
STOP_WAIT = 1.0
# How long a request may wait for a starting / restarting kernel to become ready.
CONNECT_TIMEOUT = 60.0


def _execute_content(
    code: str, *, silent: bool, user_expressions: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "code": code,
        "silent": silent,
        "store_history": not silent,
        "user_expressions": user_expressions or {},
        "allow_stdin": False,
        "stop_on_error": False,
    }


def _died_result(collector: OutputCollector, duration: float) -> ExecutionResult:
    return ExecutionResult(
        status="error",
        execution_count=collector.execution_count,
        outputs=tuple(collector.outputs),
        error_name=KERNEL_DIED_ERROR,
        error_value=(
            "The kernel died while running this code (it was killed, crashed or was "
            "restarted). Its variables are lost; the next execution uses a fresh kernel."
        ),
        kernel_died=True,
        duration=duration,
    )


async def execute(
    conn: KernelConnection,
    code: str,
    *,
    timeout: float,
    on_output: OutputCallback | None = None,
) -> ExecutionResult:
    """Execute ``code`` like a notebook cell (history, execution count); lock held."""
    loop = asyncio.get_running_loop()
    collector = OutputCollector(on_output)
    try:
        # A (re)starting kernel gets its own allowance: startup is not the code's time.
        link = await conn.open(loop.time() + max(timeout, CONNECT_TIMEOUT))
    except KernelDiedError:
        return _died_result(collector, 0.0)
    except KernelError as exc:  # not answering within CONNECT_TIMEOUT: the agent must know
        return ExecutionResult(
            status="error",
            execution_count=None,
            outputs=(),
            error_name="KernelError",
            error_value=exc.message,
        )
    await link.drain_iopub()
    start = loop.time()
    msg_id = link.send_shell("execute_request", _execute_content(code, silent=False))
    conn.running_msg_id, conn.interrupt_requested = msg_id, False
    timed_out = False

    async def on_deadline() -> float | None:
        nonlocal timed_out
        if timed_out:
            return None  # the interrupt did not help either
        timed_out = True
        log.info("execution on kernel %s timed out after %.1f s", conn.kernel_id, timeout)
        try:
            await conn.interrupt()
        except KernelError:
            log.warning("interrupt after timeout failed", exc_info=True)
        return loop.time() + INTERRUPT_GRACE

    try:
        outcome = await wait_for_request(
            link,
            msg_id,
            collector=collector,
            deadline=start + timeout,
            on_deadline=on_deadline,
        )
    except asyncio.CancelledError:
        # The run was cancelled (session stopped): don't leave our code running.
        await _interrupt_until_done(conn, link, msg_id)
        raise
    finally:
        conn.running_msg_id = None
    duration = loop.time() - start
    if outcome.died:
        conn.disconnect()
        return _died_result(collector, duration)
    interrupted = conn.interrupt_requested or timed_out
    common: dict[str, Any] = {
        "outputs": tuple(collector.outputs),
        "duration": duration,
        "timed_out": timed_out,
        "interrupted": interrupted,
    }
    reply = (outcome.reply or {}).get("content", {})
    count = collector.execution_count or reply.get("execution_count")
    if timed_out:
        how = "was interrupted" if outcome.reply else "did not respond to an interrupt"
        return ExecutionResult(
            status="error",
            execution_count=count,
            error_name=TIMEOUT_ERROR,
            error_value=f"Execution did not finish within {timeout:g} s; the kernel {how}.",
            **common,
        )
    if outcome.reply is None:
        raise KernelError("The kernel finished without replying to the execute request.")
    status = reply.get("status")
    if status == "ok":
        return ExecutionResult(status="ok", execution_count=count, **common)
    if status == "aborted":
        return ExecutionResult(
            status="error",
            execution_count=count,
            error_name=ABORTED_ERROR,
            error_value="The kernel aborted the request (an earlier cell failed).",
            **common,
        )
    return ExecutionResult(
        status="error",
        execution_count=count,
        error_name=reply.get("ename"),
        error_value=reply.get("evalue"),
        **common,
    )


async def _interrupt_until_done(conn: KernelConnection, link: KernelLink, msg_id: str) -> None:
    """Interrupt until the request ``msg_id`` has ended (or the kernel died).

    One interrupt is not enough when it arrives before the kernel has started the
    request: ipykernel ignores SIGINT while idle, and the cell would then run to its end
    with the next run's requests queued behind it (seen with a stop 25 ms after send).
    """
    loop = asyncio.get_running_loop()

    async def give_up() -> None:
        return None

    for _ in range(STOP_ATTEMPTS):
        if not await conn.is_alive():
            return
        await _quiet_interrupt(conn)
        outcome = await wait_for_request(
            link, msg_id, collector=None, deadline=loop.time() + STOP_WAIT, on_deadline=give_up
        )
        if outcome.reply is not None or outcome.died:
            return
    log.warning(
        "kernel %s still runs a stopped cell after %d interrupts", conn.kernel_id, STOP_ATTEMPTS
    )


async def _quiet_interrupt(conn: KernelConnection) -> None:
    try:
        await conn.interrupt()
    except Exception:
        log.warning("interrupt of kernel %s failed", conn.kernel_id, exc_info=True)


async def execute_silent(
    conn: KernelConnection,
    *,
    code: str = "",
    user_expressions: dict[str, str] | None = None,
    timeout: float,
) -> dict[str, Any]:
    """A ``silent`` request (no history, no execution count, no broadcast input).

    Returns the reply content. Raises ``KernelDiedError`` / ``KernelError`` (timeout:
    the kernel is busy; we never interrupt for our own inspection).
    """
    loop = asyncio.get_running_loop()
    link = await conn.open(loop.time() + max(timeout, CONNECT_TIMEOUT))
    deadline = loop.time() + timeout
    content = _execute_content(code, silent=True, user_expressions=user_expressions)
    msg_id = link.send_shell("execute_request", content)

    async def give_up() -> float | None:
        return None

    outcome = await wait_for_request(
        link, msg_id, collector=None, deadline=deadline, on_deadline=give_up
    )
    if outcome.died:
        conn.disconnect()
        raise KernelDiedError("The kernel died; its variables are lost.")
    if outcome.reply is None:
        raise KernelError(f"The kernel did not answer within {timeout:g} s (it is busy).")
    return outcome.reply["content"]
