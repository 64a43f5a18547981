"""The session's timeline, read in pages of turns, and the folding of streamed text.

Opening a session must not cost more as the session grows: the sidebar asks for the
last few turns (``recent_turns``) and pages earlier ones in on demand
(``turns_before``). A turn's events start at its ``run_started``. Streamed ``delta``
events are kept only while their text streams: once a run has finished, its deltas are
deleted (``fold_deltas``) because every streamed text by then lives on in a ``message``
or the ``run_finished`` summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .connection import StoreConnection
from .records import EventRecord

#: The events a reader needs to rebuild the conversation (the rest is state the
#: snapshot carries: plan, variables, usage; or detail: tool calls).
TIMELINE_TYPES: tuple[str, ...] = (
    "run_started",
    "run_finished",
    "message",
    "question",
    "error",
    "cell_proposed",
    "cell_executing",
    "cell_executed",
    "cell_rejected",
    "cell_blocked",
    "cell_stopped",
    "cell_deleted",
    "cell_undone",
)


@dataclass(frozen=True, kw_only=True)
class TimelinePage:
    """Events of whole turns, oldest first; ``start_seq`` is the first turn's start."""

    events: tuple[EventRecord, ...]
    start_seq: int
    start_ts: float
    has_earlier: bool


class TimelineStore(StoreConnection):
    """Pages of a session's event log by turn (part of ``SessionStore``)."""

    def turns_before(
        self, session_id: str, before_seq: int | None, turns: int, *, with_deltas: bool = False
    ) -> TimelinePage:
        """The timeline events of the ``turns`` turns that start before ``before_seq``
        (None: the newest turns). ``with_deltas`` adds the streamed text of the newest
        turn (a run in progress, whose deltas are not folded yet)."""
        self._require(session_id)
        limit = before_seq if before_seq is not None else 2**62
        starts = self._read(
            "SELECT seq, ts FROM events WHERE session_id = ? AND type = 'run_started' "
            "AND seq < ? ORDER BY seq DESC LIMIT ?",
            (session_id, limit, max(1, turns) + 1),
        )
        if len(starts) > turns:
            has_earlier = True
            first_seq, first_ts = starts[turns - 1]
        elif starts:
            has_earlier = False
            first_seq, first_ts = 0, 0.0  # everything from the beginning
        else:
            return TimelinePage(events=(), start_seq=0, start_ts=0.0, has_earlier=False)
        kinds = TIMELINE_TYPES + (("delta",) if with_deltas else ())
        marks = ", ".join("?" for _ in kinds)
        rows = self._read(
            f"SELECT seq, ts, type, data FROM events WHERE session_id = ? AND seq >= ? "
            f"AND seq < ? AND type IN ({marks}) ORDER BY seq",
            (session_id, first_seq, limit, *kinds),
        )
        events = tuple(
            EventRecord(seq=s, ts=ts, type=t, data=json.loads(d)) for s, ts, t, d in rows
        )
        return TimelinePage(
            events=events, start_seq=first_seq, start_ts=first_ts, has_earlier=has_earlier
        )

    def event_ts(self, session_id: str, seq: int) -> float | None:
        """When event ``seq`` was stored (None if there is no such event)."""
        rows = self._read(
            "SELECT ts FROM events WHERE session_id = ? AND seq = ?", (session_id, seq)
        )
        return float(rows[0][0]) if rows else None

    def fold_deltas(self, session_id: str, after_seq: int) -> int:
        """Delete the streamed deltas after ``after_seq`` (a finished run's); how many."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM events WHERE session_id = ? AND type = 'delta' AND seq > ?",
                (session_id, after_seq),
            )
            return cursor.rowcount

    def fold_cell_outputs(self, session_id: str, cell_id: str, *, before_seq: int) -> int:
        """Delete the ``cell_output`` events of one cell older than ``before_seq``: each
        carries all the outputs so far, so only the newest (then ``cell_executed``)
        means anything. Keeps a long-running cell's log the size of one output."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM events WHERE session_id = ? AND type = 'cell_output' AND seq < ? "
                "AND json_extract(data, '$.cell_id') = ?",
                (session_id, before_seq, cell_id),
            )
            return cursor.rowcount

    def events_of_type(self, session_id: str, type: str) -> list[EventRecord]:
        """Every event of one type, oldest first (the ``events_by_type`` index)."""
        rows = self._read(
            "SELECT seq, ts, type, data FROM events WHERE session_id = ? AND type = ? ORDER BY seq",
            (session_id, type),
        )
        return [EventRecord(seq=s, ts=ts, type=t, data=json.loads(d)) for s, ts, t, d in rows]
