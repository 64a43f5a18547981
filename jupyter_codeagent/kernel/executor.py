"""Run one request on a kernel and wait for it: outputs, reply, timeout, death.

Callers hold the connection's lock, so at most one of our requests is in flight per
kernel; messages with another parent (the user's own cells, stale replies of an
abandoned request) are skipped.

Waiting is two reader tasks (IOPub until ``idle``, shell until the reply) supervised
with a short tick that checks the deadline and the kernel process. A dead kernel
sends nothing at all, so the tick is what turns "no news" into a clear result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import KernelDiedError, KernelError
from .connection import LIVENESS_TICK, KernelConnection
from .outputs import OutputCallback, OutputCollector
from .types import ABORTED_ERROR, KERNEL_DIED_ERROR, TIMEOUT_ERROR, ExecutionResult

log = logging.getLogger(__name__)

# After an interrupt (on timeout) the kernel gets this long to finish the request.
INTERRUPT_GRACE = 5.0
# Once the reply is in, trailing IOPub messages (up to ``idle``) get this long.
IOPUB_GRACE = 2.0
# How long a request may wait for a starting / restarting kernel to become ready.
CONNECT_TIMEOUT = 60.0

OnDeadline = Callable[[], Awaitable[float | None]]


@dataclass
class _Outcome:
    reply: dict[str, Any] | None = None
    idle: bool = False
    died: bool = False
    gave_up: bool = False


async def _read_iopub(client: Any, msg_id: str, collector: OutputCollector) -> None:
    while True:
        msg = await client.get_iopub_msg()
        if msg.get("parent_header", {}).get("msg_id") == msg_id and collector.handle(msg):
            return


async def _read_reply(client: Any, msg_id: str) -> dict[str, Any]:
    while True:
        msg = await client.get_shell_msg()
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


async def _cancel(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def wait_for_request(
    conn: KernelConnection,
    client: Any,
    msg_id: str,
    *,
    collector: OutputCollector | None,
    deadline: float,
    on_deadline: OnDeadline,
) -> _Outcome:
    """Wait for the reply (and, with a collector, IOPub ``idle``) of ``msg_id``.

    ``on_deadline`` is awaited when the deadline passes; it returns a new deadline
    (e.g. after interrupting the kernel) or None to give up.
    """
    loop = asyncio.get_running_loop()
    outcome = _Outcome(idle=collector is None)
    reply_task = asyncio.ensure_future(_read_reply(client, msg_id))
    iopub_task = (
        asyncio.ensure_future(_read_iopub(client, msg_id, collector))
        if collector is not None
        else None
    )
    pending: set[asyncio.Task[Any]] = {reply_task} | ({iopub_task} if iopub_task else set())
    reply_at: float | None = None
    next_check = loop.time() + LIVENESS_TICK
    try:
        while pending:
            now = loop.time()
            # Once replied, the request is over: only trailing IOPub is awaited, briefly.
            limit = reply_at + IOPUB_GRACE if reply_at is not None else deadline
            done, pending = await asyncio.wait(
                pending,
                timeout=max(min(LIVENESS_TICK, limit - now), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
            now = loop.time()
            if reply_task in done:
                outcome.reply = reply_task.result()
                reply_at = now
            if iopub_task is not None and iopub_task in done:
                iopub_task.result()
                outcome.idle = True
            if not pending:
                break
            if reply_at is not None and now >= reply_at + IOPUB_GRACE:
                log.debug("no IOPub idle %.1f s after the reply to %s", IOPUB_GRACE, msg_id)
                break
            if now >= deadline and outcome.reply is None:
                new_deadline = await on_deadline()
                if new_deadline is None:
                    outcome.gave_up = True
                    break
                deadline = new_deadline
            if not done or now >= next_check:
                next_check = now + LIVENESS_TICK
                if not await conn.is_alive():
                    outcome.died = True
                    break
    finally:
        await _cancel(*pending)
    return outcome


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
        client = await conn.client(loop.time() + max(timeout, CONNECT_TIMEOUT))
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
    await conn.drain_iopub()
    start = loop.time()
    msg_id = client.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
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
            conn,
            client,
            msg_id,
            collector=collector,
            deadline=start + timeout,
            on_deadline=on_deadline,
        )
    except asyncio.CancelledError:
        # The run was cancelled (session stopped): don't leave our code running.
        if await conn.is_alive():
            await _quiet_interrupt(conn)
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
    client = await conn.client(loop.time() + max(timeout, CONNECT_TIMEOUT))
    deadline = loop.time() + timeout
    msg_id = client.execute(
        code,
        silent=True,
        store_history=False,
        user_expressions=user_expressions or {},
        allow_stdin=False,
        stop_on_error=False,
    )

    async def give_up() -> float | None:
        return None

    outcome = await wait_for_request(
        conn, client, msg_id, collector=None, deadline=deadline, on_deadline=give_up
    )
    if outcome.died:
        conn.disconnect()
        raise KernelDiedError("The kernel died; its variables are lost.")
    if outcome.reply is None:
        raise KernelError(f"The kernel did not answer within {timeout:g} s (it is busy).")
    return outcome.reply["content"]
