"""The connection, transaction and JSON plumbing shared by the store's parts.

Every write is one short ``BEGIN IMMEDIATE`` transaction; with WAL and
synchronous=NORMAL a commit does not fsync, so it costs tens of microseconds and is run
straight on the asyncio loop rather than paying for a thread hop. Every write to a
session's child rows also bumps ``sessions.updated``; that single UPDATE doubles as the
existence check, so an unknown session id raises ``NotFound`` instead of a
foreign-key error.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

from ..errors import NotFound
from .schema import connect

_Store = TypeVar("_Store", bound="StoreConnection")


def dumps(value: Any) -> str:
    """Compact JSON text; real UTF-8 (not \\u escapes) so non-ASCII costs no extra bytes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (e.g. from surrogateescape-decoded kernel output) cannot be
            # stored as UTF-8 TEXT; escaped JSON keeps it and still round-trips.
            text = json.dumps(value, separators=(",", ":"))
    return text


def check_id(value: object, what: str) -> str:
    # Ids are TEXT keys; anything else would be stored with another type and never match.
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what} must be a non-empty str, not {value!r}")
    return value


class StoreConnection:
    """One SQLite connection to the store's file, and the helpers all parts use.

    ``path`` may be ``":memory:"`` (tests). Several stores (or server processes) may
    share one file: writes take the database write lock up front (BEGIN IMMEDIATE).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._conn: sqlite3.Connection | None = connect(self.path)
        # One connection, one transaction at a time, even if a caller strays off the
        # event-loop thread.
        self._lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
            # No "PRAGMA optimize" here: it writes outside BEGIN IMMEDIATE, so with another
            # process writing it can fail with "database is locked" and make close() raise.
            # Every query is an index look-up; the planner needs no statistics.
            if conn is not None:
                conn.close()

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"{type(self).__name__} is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction holding the write lock from its first statement.

        IMMEDIATE (not DEFERRED) so a read-then-write such as seq assignment cannot
        interleave with another connection's write and fail with SQLITE_BUSY mid-way.
        """
        with self._lock:
            conn = self._db
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (e.g. disk full); don't mask the cause.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        # fetchall() so no statement stays open and pins a WAL read snapshot.
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @staticmethod
    def _touch(conn: sqlite3.Connection, session_id: str, now: float) -> None:
        cursor = conn.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now, session_id))
        if cursor.rowcount == 0:
            raise NotFound(f"No session {session_id!r}.")

    def _require(self, session_id: str) -> None:
        if not self._read("SELECT 1 FROM sessions WHERE id = ?", (session_id,)):
            raise NotFound(f"No session {session_id!r}.")
