"""A session's event log: numbering, storing and fanning out its events.

Every event gets the session's next ``seq`` here and goes to the live subscribers at
once. Most events are stored at once too; streamed deltas, which come by the hundred
per answer and are folded away when the run ends, are stored in batches: one write
transaction every ``FLUSH_SECONDS`` (or ``FLUSH_EVENTS`` deltas) instead of one per
delta, the cost that limits how many sessions one server streams. Anything that reads
the stored log of a live session (a subscriber's replay, a snapshot) flushes first,
so replays stay exact. Deltas still unstored when the run ends are dropped: their text
lives on in a message, as it does for the stored ones the store folds away.

Seqs only grow, so clients can drop what they saw: numbering is kept here, continuing
from the stored log. A server that stops mid-run may leave up to ``UNSTORED_SEQS`` sent
but unstored; its restart recovery numbers past them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..errors import Conflict, NotFound
from ..store import EventRecord, SessionStore
from ..store.session_store import UNSTORED_SEQS

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
FLUSH_EVENTS = min(128, UNSTORED_SEQS)


class EventLog:
    def __init__(self, store: SessionStore, session_id: str) -> None:
        self.store = store
        self.session_id = session_id
        self._last_seq: int | None = None
        self._unstored: list[EventRecord] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._subscribers: set[asyncio.Queue[EventRecord]] = set()

    def append(self, type: str, data: dict[str, Any], *, batched: bool = False) -> EventRecord:
        """Number, store (``batched``: soon, with others) and fan out one event."""
        if batched:
            record = EventRecord(seq=self._next_seq(), ts=time.time(), type=type, data=data)
            self._unstored.append(record)
            if len(self._unstored) >= FLUSH_EVENTS:
                self.flush()
            else:
                self._schedule_flush()
        else:
            self.flush()  # stored in seq order
            record = self._store(type, data)
        for queue in list(self._subscribers):
            queue.put_nowait(record)
        return record

    def flush(self) -> None:
        """Store the batched events now."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if not self._unstored:
            return
        records, self._unstored = self._unstored, []
        try:
            self.store.append_numbered(self.session_id, records)
        except (NotFound, Conflict) as error:  # deleted meanwhile, or another writer
            log.warning("streamed events of session %s not stored: %s", self.session_id, error)
            self._last_seq = None

    def drop_unstored(self) -> None:
        """Forget the batched events not stored yet (a finished run's deltas)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self._unstored.clear()

    def subscribe(self) -> asyncio.Queue[EventRecord]:
        """A queue of every event from now on; the stored log already has all before."""
        self.flush()
        queue: asyncio.Queue[EventRecord] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[EventRecord]) -> None:
        self._subscribers.discard(queue)

    # --- internals -----------------------------------------------------------------------

    def _next_seq(self) -> int:
        if self._last_seq is None:
            self._last_seq = self.store.last_seq(self.session_id)
        self._last_seq += 1
        return self._last_seq

    def _store(self, type: str, data: dict[str, Any]) -> EventRecord:
        try:
            record = self.store.append_event(self.session_id, type, data, seq=self._next_seq())
        except Conflict:  # another writer numbered past us: continue after it
            record = self.store.append_event(self.session_id, type, data)
        self._last_seq = record.seq
        return record

    def _schedule_flush(self) -> None:
        if self._flush_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): store at once
            self.flush()
            return
        self._flush_timer = loop.call_later(FLUSH_SECONDS, self._flush_soon)

    def _flush_soon(self) -> None:
        self._flush_timer = None
        try:
            self.flush()
        except Exception:  # a timer callback has nobody to raise to
            log.exception("storing the streamed events of session %s failed", self.session_id)
