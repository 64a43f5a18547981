"""Wait for one request on a kernel link: its reply, its IOPub ``idle``, a deadline, a death.

Three awaited tasks — the shell reply, IOPub up to ``idle`` (when outputs are wanted)
and the link's ``wait_until_lost`` — raced with the deadline as the wait's timeout.
Messages with another parent (the user's own cells, stale replies of an abandoned
request) are skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .link import KernelLink, Message
from .outputs import OutputCollector

log = logging.getLogger(__name__)

# Once the reply is in, trailing IOPub messages (up to ``idle``) get this long.
IOPUB_GRACE = 2.0
# Outputs received before a death notice may still be queued for the IOPub reader:
# they get this long to be collected (they are already here; nothing new will come).
OUTPUTS_AFTER_DEATH = 0.2

OnDeadline = Callable[[], Awaitable[float | None]]


@dataclass
class RequestOutcome:
    """How a wait ended (mutable while the wait fills it in)."""

    reply: Message | None = None
    idle: bool = False
    died: bool = False
    gave_up: bool = False


async def _read_iopub(link: KernelLink, msg_id: str, collector: OutputCollector) -> None:
    while True:
        msg = await link.next_iopub()
        if msg.get("parent_header", {}).get("msg_id") == msg_id and collector.handle(msg):
            return


async def _read_reply(link: KernelLink, msg_id: str) -> Message:
    while True:
        msg = await link.next_shell()
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


async def _cancel(*tasks: asyncio.Future[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def wait_for_request(
    link: KernelLink,
    msg_id: str,
    *,
    collector: OutputCollector | None,
    deadline: float,
    on_deadline: OnDeadline,
    iopub_grace: float = IOPUB_GRACE,
) -> RequestOutcome:
    """Wait for the reply (and, with a collector, IOPub ``idle``) of ``msg_id``.

    ``on_deadline`` is awaited when the deadline passes without a reply; it returns a
    new deadline (e.g. after interrupting the kernel) or None to give up.
    """
    loop = asyncio.get_running_loop()
    outcome = RequestOutcome(idle=collector is None)
    reply_task = asyncio.ensure_future(_read_reply(link, msg_id))
    iopub_task = (
        asyncio.ensure_future(_read_iopub(link, msg_id, collector))
        if collector is not None
        else None
    )
    lost_task = asyncio.ensure_future(link.wait_until_lost())
    waiting: set[asyncio.Future[Any]] = {reply_task} | ({iopub_task} if iopub_task else set())
    reply_at: float | None = None
    try:
        while waiting:
            # Once replied, the request is over: only trailing IOPub is awaited, briefly.
            limit = reply_at + iopub_grace if reply_at is not None else deadline
            done, _ = await asyncio.wait(
                waiting | {lost_task},
                timeout=max(limit - loop.time(), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiting -= done
            if reply_task in done:
                outcome.reply = reply_task.result()
                reply_at = loop.time()
            if iopub_task is not None and iopub_task in done:
                iopub_task.result()
                outcome.idle = True
            if not waiting:
                break
            if lost_task in done:
                outcome.died = outcome.reply is None  # replied, then died: the request is done
                if iopub_task is not None and iopub_task in waiting:
                    finished, _ = await asyncio.wait({iopub_task}, timeout=OUTPUTS_AFTER_DEATH)
                    waiting -= finished
                break
            now = loop.time()
            if reply_at is not None and now >= reply_at + iopub_grace:
                log.debug("no IOPub idle %.1f s after the reply to %s", iopub_grace, msg_id)
                break
            if reply_at is None and now >= deadline:
                new_deadline = await on_deadline()
                if new_deadline is None:
                    outcome.gave_up = True
                    break
                deadline = new_deadline
    finally:
        await _cancel(*waiting, lost_task)
    return outcome
