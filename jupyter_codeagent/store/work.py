"""What a session's work produces: chat messages, the plan, cells and the memory blob."""

from __future__ import annotations

import json
import time
from typing import Any

from ..errors import NotFound
from .connection import StoreConnection, check_id, dumps
from .records import CellRecord, MessageRecord

_CELL_COLUMNS = (
    "cell_id, task_id, source, explanation, review, status, outputs, execution_count, "
    "created, updated"
)


def _cell(row: tuple[Any, ...]) -> CellRecord:
    return CellRecord(
        cell_id=row[0],
        task_id=row[1],
        source=row[2],
        explanation=row[3],
        review=json.loads(row[4]),
        status=row[5],
        outputs=json.loads(row[6]),
        execution_count=row[7],
        created=row[8],
        updated=row[9],
    )


class WorkStore(StoreConnection):
    """Messages, plan, cells and memory of sessions (part of ``SessionStore``)."""

    # --- messages -------------------------------------------------------------------

    def add_message(
        self, session_id: str, *, turn: int, role: str, text: str, agent: str | None = None
    ) -> MessageRecord:
        now = time.time()
        with self._write() as conn:
            self._touch(conn, session_id, now)
            cursor = conn.execute(
                "INSERT INTO messages (session_id, turn, role, agent, text, ts) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, turn, role, agent, text, now),
            )
            message_id = cursor.lastrowid
        assert message_id is not None  # an INSERT into a rowid table always sets it
        return MessageRecord(id=message_id, turn=turn, role=role, agent=agent, text=text, ts=now)

    def next_turn(self, session_id: str) -> int:
        """The number of the session's next request (0, 1, 2...): one past the newest
        user message's, found from the end of the log, however long it is."""
        self._require(session_id)
        rows = self._read(
            "SELECT turn FROM messages WHERE session_id = ? AND role = 'user' "
            "ORDER BY id DESC LIMIT 1",
            (session_id,),
        )
        return int(rows[0][0]) + 1 if rows else 0

    def messages(
        self, session_id: str, *, since: float = 0.0, since_turn: int = 0
    ) -> list[MessageRecord]:
        """The session's messages written at or after ``since`` and of turns from
        ``since_turn`` on, oldest first (each bound is an index range: a long session's
        old turns are not read)."""
        self._require(session_id)
        if since_turn:
            rows = self._read(
                "SELECT id, turn, role, agent, text, ts FROM messages WHERE session_id = ? "
                "AND turn >= ? AND ts >= ? ORDER BY id",
                (session_id, since_turn, since),
            )
        else:
            rows = self._read(
                "SELECT id, turn, role, agent, text, ts FROM messages WHERE session_id = ? "
                "AND ts >= ? ORDER BY id",
                (session_id, since),
            )
        return [
            MessageRecord(id=i, turn=turn, role=role, agent=agent, text=text, ts=ts)
            for i, turn, role, agent, text, ts in rows
        ]

    # --- plan -----------------------------------------------------------------------

    def save_plan(self, session_id: str, tasks: list[dict[str, Any]]) -> None:
        """Replace the session's task list."""
        now = time.time()
        with self._write() as conn:
            self._touch(conn, session_id, now)
            conn.execute(
                "INSERT INTO plans (session_id, tasks, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (session_id) DO UPDATE SET tasks = excluded.tasks, "
                "updated = excluded.updated",
                (session_id, dumps(tasks), now),
            )

    def get_plan(self, session_id: str) -> list[dict[str, Any]]:
        """The current task list; ``[]`` before any plan was made."""
        self._require(session_id)
        rows = self._read("SELECT tasks FROM plans WHERE session_id = ?", (session_id,))
        return list(json.loads(rows[0][0])) if rows else []

    # --- cells ----------------------------------------------------------------------

    def save_cell(self, session_id: str, cell: CellRecord) -> None:
        """Insert or update a cell by ``(session_id, cell_id)``; the first ``created`` stays."""
        check_id(cell.cell_id, "cell_id")
        with self._write() as conn:
            self._touch(conn, session_id, time.time())
            conn.execute(
                f"INSERT INTO cells (session_id, {_CELL_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (session_id, cell_id) DO UPDATE SET "
                "task_id = excluded.task_id, source = excluded.source, "
                "explanation = excluded.explanation, review = excluded.review, "
                "status = excluded.status, outputs = excluded.outputs, "
                "execution_count = excluded.execution_count, updated = excluded.updated",
                (
                    session_id,
                    cell.cell_id,
                    cell.task_id,
                    cell.source,
                    cell.explanation,
                    dumps(cell.review),
                    cell.status,
                    dumps(cell.outputs),
                    cell.execution_count,
                    cell.created,
                    cell.updated,
                ),
            )

    def get_cell(self, session_id: str, cell_id: str) -> CellRecord:
        rows = self._read(
            f"SELECT {_CELL_COLUMNS} FROM cells WHERE session_id = ? AND cell_id = ?",
            (session_id, cell_id),
        )
        if not rows:
            self._require(session_id)  # say which id is unknown
            raise NotFound(f"No cell {cell_id!r} in session {session_id!r}.")
        return _cell(rows[0])

    def list_cells(
        self, session_id: str, *, since: float = 0.0, until: float | None = None
    ) -> list[CellRecord]:
        """The session's cells (proposed in ``[since, until)``) in the order first saved."""
        self._require(session_id)
        rows = self._read(
            f"SELECT {_CELL_COLUMNS} FROM cells WHERE session_id = ? AND created >= ? "
            "AND created < ? ORDER BY pk",
            (session_id, since, until if until is not None else float("inf")),
        )
        return [_cell(row) for row in rows]

    def sessions_with_cells(self, statuses: tuple[str, ...]) -> list[str]:
        """Ids of the sessions that have a cell in one of ``statuses`` (startup checks)."""
        marks = ", ".join("?" for _ in statuses)
        rows = self._read(
            f"SELECT DISTINCT session_id FROM cells WHERE status IN ({marks})", statuses
        )
        return [row[0] for row in rows]

    # --- memory ---------------------------------------------------------------------

    def save_memory(self, session_id: str, memory: dict[str, Any]) -> None:
        """Replace the memory layer's blob (running summary, data-object registry...)."""
        now = time.time()
        with self._write() as conn:
            self._touch(conn, session_id, now)
            conn.execute(
                "INSERT INTO memories (session_id, data, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (session_id) DO UPDATE SET data = excluded.data, "
                "updated = excluded.updated",
                (session_id, dumps(memory), now),
            )

    def load_memory(self, session_id: str) -> dict[str, Any]:
        """The saved blob, ``{}`` when the memory layer never saved one."""
        self._require(session_id)
        rows = self._read("SELECT data FROM memories WHERE session_id = ?", (session_id,))
        return dict(json.loads(rows[0][0])) if rows else {}
