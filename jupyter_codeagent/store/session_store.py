"""``SessionStore``: SQLite persistence of sessions and everything they produce.

The class is assembled from parts so each module stays small: ``connection`` (file,
transactions), ``work`` (messages, plan, cells, memory), ``accounting`` (usage, audit);
sessions and their event log live here.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Sequence
from typing import Any

from ..errors import Conflict, NotFound
from .accounting import AccountingStore
from .connection import check_id, dumps
from .records import EventRecord, SessionRecord
from .timeline import TimelineStore
from .work import WorkStore

# Statuses of a session whose run was in flight; after a restart no task owns them.
_IN_FLIGHT = ("running", "waiting")
# Keys of the event envelope; a payload using them would be shadowed on the wire.
_ENVELOPE_KEYS = frozenset({"seq", "ts", "type"})

#: At most this many events of a session may be sent before they are stored (a batch
#: of streamed deltas, see ``Session``); restart recovery numbers past them.
UNSTORED_SEQS = 256

_SESSION_COLUMNS = "id, notebook_path, kernel_id, title, status, created, updated"


_WORD = re.compile(r"\w+")
_MAX_SEARCH_WORDS = 12


def _fts_query(text: str) -> str:
    """The words of ``text`` as an FTS5 query: each quoted (so no word is an operator)
    and a prefix, all required."""
    words = _WORD.findall(text)[:_MAX_SEARCH_WORDS]
    return " ".join(f'"{word}"*' for word in words)


def _check_envelope(data: dict[str, Any]) -> None:
    clash = _ENVELOPE_KEYS.intersection(data)
    if clash:
        raise ValueError(f"Event data may not use the envelope keys {sorted(clash)}")


def _session(row: tuple[Any, ...]) -> SessionRecord:
    id_, notebook_path, kernel_id, title, status, created, updated = row
    return SessionRecord(
        id=id_,
        notebook_path=notebook_path,
        kernel_id=kernel_id,
        title=title,
        status=status,
        created=created,
        updated=updated,
    )


class SessionStore(WorkStore, AccountingStore, TimelineStore):
    """Sessions, events, messages, plans, cells, usage, audit and memory in one file.

    ``path`` may be ``":memory:"`` (tests). Several stores (or server processes) may
    share one file: writes take the database write lock up front (BEGIN IMMEDIATE).
    Use it as a context manager, or call ``close()``.
    """

    # --- sessions -------------------------------------------------------------------

    def create_session(
        self,
        *,
        notebook_path: str,
        kernel_id: str | None,
        title: str = "",
        session_id: str | None = None,
    ) -> SessionRecord:
        sid = uuid.uuid4().hex if session_id is None else check_id(session_id, "session_id")
        now = time.time()
        record = SessionRecord(
            id=sid,
            notebook_path=notebook_path,
            kernel_id=kernel_id,
            title=title,
            status="idle",
            created=now,
            updated=now,
        )
        try:
            with self._write() as conn:
                conn.execute(
                    f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (sid, notebook_path, kernel_id, title, "idle", now, now),
                )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"Session {sid!r} already exists.") from exc
        return record

    def find_session(self, session_id: str) -> SessionRecord | None:
        rows = self._read(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,))
        return _session(rows[0]) if rows else None

    def get_session(self, session_id: str) -> SessionRecord:
        record = self.find_session(session_id)
        if record is None:
            raise NotFound(f"No session {session_id!r}.")
        return record

    def list_sessions(self) -> list[SessionRecord]:
        """All sessions, most recently active first."""
        rows = self._read(
            f"SELECT {_SESSION_COLUMNS} FROM sessions ORDER BY updated DESC, created DESC, id"
        )
        return [_session(row) for row in rows]

    def rename_session(self, session_id: str, title: str) -> SessionRecord:
        """Give a session a title; not activity, so ``updated`` (its place in the list)
        stays as it is."""
        with self._write() as conn:
            cursor = conn.execute("UPDATE sessions SET title = ? WHERE id = ?", (title, session_id))
            if cursor.rowcount == 0:
                raise NotFound(f"No session {session_id!r}.")
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return _session(row)

    def search_sessions(self, query: str) -> list[tuple[SessionRecord, str | None]]:
        """Sessions whose title or notebook path contains ``query`` (any case), or whose
        conversation has every word of it (full-text, prefixes match: "regr" finds
        "regression"); most recently active first. With each, a snippet of the first
        matching message (None when the title or path matched)."""
        text = query.strip()
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._read(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE title LIKE ? ESCAPE '\\' "
            "OR notebook_path LIKE ? ESCAPE '\\'",
            (like, like),
        )
        found: dict[str, tuple[SessionRecord, str | None]] = {
            row[0]: (_session(row), None) for row in rows
        }
        match = _fts_query(text)
        if match:
            hits = self._read(
                "SELECT m.session_id, snippet(messages_fts, 0, '', '', '…', 12) "
                "FROM messages_fts JOIN messages AS m ON m.id = messages_fts.rowid "
                "WHERE messages_fts MATCH ? ORDER BY m.id DESC LIMIT 500",
                (match,),
            )
            for session_id, snippet in hits:
                if session_id not in found:
                    record = self.find_session(session_id)
                    if record is not None:
                        found[session_id] = (record, snippet)
        return sorted(found.values(), key=lambda item: (-item[0].updated, -item[0].created))

    def update_session(
        self,
        session_id: str,
        *,
        status: str | None = None,
        title: str | None = None,
        kernel_id: str | None = None,
    ) -> SessionRecord:
        """Change the given fields (None leaves a field as it is) and bump ``updated``."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE sessions SET status = COALESCE(?, status), title = COALESCE(?, title), "
                "kernel_id = COALESCE(?, kernel_id), updated = ? WHERE id = ?",
                (status, title, kernel_id, time.time(), session_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"No session {session_id!r}.")
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return _session(row)

    def delete_session(self, session_id: str) -> None:
        """Forget a session and, through the cascades, everything it owns."""
        with self._write() as conn:
            if conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 0:
                raise NotFound(f"No session {session_id!r}.")

    def move_session(self, session_id: str, notebook_path: str) -> SessionRecord:
        """The session's notebook was renamed or moved to ``notebook_path``."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE sessions SET notebook_path = ?, updated = ? WHERE id = ?",
                (notebook_path, time.time(), session_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"No session {session_id!r}.")
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return _session(row)

    def mark_running_sessions_failed(self, reason: str) -> list[str]:
        """Startup recovery: runs that were in flight when the server stopped are failed.

        Each such session gets an ``error`` (code ``interrupted``) and a ``run_finished``
        (status ``failed``) event so a reconnecting client sees the run end, and can
        continue the session with a new message.
        """
        with self._write() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM sessions WHERE status IN (?, ?) ORDER BY created, id",
                    _IN_FLIGHT,
                )
            ]
            now = time.time()
            for sid in ids:
                conn.execute(
                    "UPDATE sessions SET status = 'failed', updated = ? WHERE id = ?", (now, sid)
                )
                # Streamed deltas are stored in batches: up to ``UNSTORED_SEQS`` of them may
                # have been sent but not stored when the server stopped. Number past them,
                # so a client that saw them still receives how the run ended.
                (last,) = conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?", (sid,)
                ).fetchone()
                seq = last + UNSTORED_SEQS
                error = {"code": "interrupted", "message": reason}
                self._insert_event(conn, sid, now, "error", error, seq + 1)
                finished = {"status": "failed", "summary": reason}
                self._insert_event(conn, sid, now, "run_finished", finished, seq + 2)
        return ids

    # --- events ---------------------------------------------------------------------

    @staticmethod
    def _insert_event(
        conn: sqlite3.Connection,
        session_id: str,
        ts: float,
        type: str,
        data: dict[str, Any],
        seq: int | None = None,
    ) -> EventRecord:
        if seq is None:
            # Inside a write transaction, so MAX(seq) + 1 cannot race another writer; the
            # (session_id, seq) index makes MAX a single b-tree descent.
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?", (session_id,)
            ).fetchone()
            seq = last + 1
        conn.execute(
            "INSERT INTO events (session_id, seq, ts, type, data) VALUES (?, ?, ?, ?, ?)",
            (session_id, seq, ts, type, dumps(data)),
        )
        # A shallow copy so the frozen record does not alias a dict the caller may reuse.
        return EventRecord(seq=seq, ts=ts, type=type, data=dict(data))

    def append_event(
        self, session_id: str, type: str, data: dict[str, Any], *, seq: int | None = None
    ) -> EventRecord:
        """Store an event with ``seq``, or the session's next one (the newest + 1).

        Seqs only grow; gaps are allowed (folded deltas leave them). A ``seq`` already
        taken raises ``Conflict``.
        """
        _check_envelope(data)
        now = time.time()
        try:
            with self._write() as conn:
                self._touch(conn, session_id, now)
                return self._insert_event(conn, session_id, now, type, data, seq)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"Event seq {seq} of session {session_id!r} is taken.") from exc

    def append_numbered(self, session_id: str, records: Sequence[EventRecord]) -> None:
        """Store events already numbered (and sent): streamed deltas, in one transaction
        per batch instead of one per delta. ``Conflict`` if a seq is taken."""
        for record in records:
            _check_envelope(record.data)
        rows = [(session_id, r.seq, r.ts, r.type, dumps(r.data)) for r in records]
        try:
            with self._write() as conn:
                self._touch(conn, session_id, time.time())
                conn.executemany(
                    "INSERT INTO events (session_id, seq, ts, type, data) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"An event seq of session {session_id!r} is taken.") from exc

    def events_after(
        self, session_id: str, after: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        """Events with ``seq > after`` in order (the WebSocket replay), at most ``limit``."""
        self._require(session_id)
        rows = self._read(
            "SELECT seq, ts, type, data FROM events WHERE session_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (session_id, after, -1 if limit is None else max(limit, 0)),
        )
        return [EventRecord(seq=s, ts=ts, type=t, data=json.loads(d)) for s, ts, t, d in rows]

    def last_seq(self, session_id: str) -> int:
        """The newest event's ``seq``, 0 when the session has none."""
        self._require(session_id)
        ((last,),) = self._read(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?", (session_id,)
        )
        return int(last)
