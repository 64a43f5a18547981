"""The accounting of a session: model usage and the audit log of execution decisions."""

from __future__ import annotations

import json
import time
from typing import Any

from .connection import StoreConnection, dumps
from .records import AuditRecord

_AUDIT_COLUMNS = (
    "id, session_id, cell_id, code, approved_by, policy, findings, verdict, reviewer_risk, "
    "outcome, detail, started, finished"
)


def _run_usage(row: tuple[Any, ...]) -> dict[str, Any]:
    turn, input_tokens, output_tokens, read, write, cost, calls = row
    return {
        "turn": turn,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "cost_usd": cost,
        "calls": calls,
    }


def _audit(row: tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        id=row[0],
        session_id=row[1],
        cell_id=row[2],
        code=row[3],
        approved_by=row[4],
        policy=row[5],
        findings=json.loads(row[6]),
        verdict=row[7],
        reviewer_risk=row[8],
        outcome=row[9],
        detail=row[10],
        started=row[11],
        finished=row[12],
    )


class AccountingStore(StoreConnection):
    """Usage and audit of sessions (part of ``SessionStore``)."""

    # --- usage ----------------------------------------------------------------------

    def add_usage(
        self,
        session_id: str,
        *,
        role: str,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float | None,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        turn: int | None = None,
    ) -> None:
        """Record one model call of run ``turn``; ``input_tokens`` includes the cached
        parts. The call is also written to the server's spending ledger (``spend``),
        which outlives the session, for the day's budget."""
        now = time.time()
        with self._write() as conn:
            self._touch(conn, session_id, now)
            conn.execute(
                "INSERT INTO usage (session_id, role, model, input_tokens, output_tokens, "
                "cache_read_tokens, cache_write_tokens, cost_usd, ts, turn) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    role,
                    model,
                    int(input_tokens),
                    int(output_tokens),
                    int(cache_read_tokens),
                    int(cache_write_tokens),
                    cost_usd,
                    now,
                    turn,
                ),
            )
            conn.execute(
                "INSERT INTO spend (ts, tokens, cost_usd) VALUES (?, ?, ?)",
                (now, int(input_tokens) + int(output_tokens), cost_usd),
            )

    def usage_runs(
        self, session_id: str, *, since_turn: int = 0, before_turn: int | None = None
    ) -> list[dict[str, Any]]:
        """Tokens and cost per run (``turn``) in ``[since_turn, before_turn)``, oldest
        first. Calls recorded before runs were numbered are left out."""
        self._require(session_id)
        rows = self._read(
            "SELECT turn, SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), "
            "SUM(cache_write_tokens), SUM(cost_usd), COUNT(*) FROM usage "
            "WHERE session_id = ? AND turn >= ? AND turn < ? GROUP BY turn ORDER BY turn",
            (session_id, since_turn, 2**62 if before_turn is None else before_turn),
        )
        return [_run_usage(row) for row in rows]

    def run_usage(self, session_id: str, turn: int) -> dict[str, Any]:
        """Tokens and cost of one run so far (zeros before its first call)."""
        rows = self._read(
            "SELECT ?, COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
            "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), "
            "SUM(cost_usd), COUNT(*) FROM usage WHERE session_id = ? AND turn = ?",
            (turn, session_id, turn),
        )
        return _run_usage(rows[0])

    def spent_since(self, since: float) -> tuple[int, float | None]:
        """Tokens and USD (None: no priced call) the server spent since ``since``,
        every session included, deleted ones too."""
        ((tokens, cost),) = self._read(
            "SELECT COALESCE(SUM(tokens), 0), SUM(cost_usd) FROM spend WHERE ts >= ?", (since,)
        )
        return int(tokens), cost

    def prune_spend(self, before: float) -> int:
        """Forget ledger rows older than ``before`` (no budget looks that far back)."""
        with self._write() as conn:
            return conn.execute("DELETE FROM spend WHERE ts < ?", (before,)).rowcount

    def usage_totals(self, session_id: str) -> dict[str, Any]:
        """Token and cost totals, overall and per role (cached prompt tokens included).

        ``cost_usd`` is None (overall or for a role) when no call there had a price:
        "unknown" must not read as "free" (the trigger keeping the sums says so too).
        """
        self._require(session_id)
        # The sums a trigger keeps (schema v4): a few rows, however long the session.
        rows = self._read(
            "SELECT role, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
            "cost_usd, calls FROM usage_sums WHERE session_id = ? ORDER BY role",
            (session_id,),
        )
        by_role: dict[str, dict[str, Any]] = {}
        totals: dict[str, Any] = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "cost_usd": None,
        }
        calls = 0
        for role, input_tokens, output_tokens, read, write, cost, count in rows:
            by_role[role] = {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_read_tokens": read,
                "cache_write_tokens": write,
                "cost_usd": cost,
                "calls": count,
            }
            totals["input_tokens"] += input_tokens
            totals["output_tokens"] += output_tokens
            totals["cache_read_tokens"] += read
            totals["cache_write_tokens"] += write
            if cost is not None:
                totals["cost_usd"] = (totals["cost_usd"] or 0.0) + cost
            calls += count
        return {**totals, "calls": calls, "by_role": by_role}

    # --- audit ----------------------------------------------------------------------

    def add_audit(
        self,
        session_id: str,
        *,
        cell_id: str,
        code: str,
        approved_by: str | None,
        policy: str,
        findings: list[Any],
        verdict: str | None,
        reviewer_risk: str | None,
        outcome: str,
        detail: str = "",
        started: float,
        finished: float,
    ) -> AuditRecord:
        """Record one execution decision (ran, blocked, rejected...)."""
        with self._write() as conn:
            self._touch(conn, session_id, time.time())
            cursor = conn.execute(
                f"INSERT INTO audit ({_AUDIT_COLUMNS}) "
                "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    cell_id,
                    code,
                    approved_by,
                    policy,
                    dumps(findings),
                    verdict,
                    reviewer_risk,
                    outcome,
                    detail,
                    started,
                    finished,
                ),
            )
            audit_id = cursor.lastrowid
        assert audit_id is not None  # an INSERT into a rowid table always sets it
        return AuditRecord(
            id=audit_id,
            session_id=session_id,
            cell_id=cell_id,
            code=code,
            approved_by=approved_by,
            policy=policy,
            findings=list(findings),
            verdict=verdict,
            reviewer_risk=reviewer_risk,
            outcome=outcome,
            detail=detail,
            started=started,
            finished=finished,
        )

    def complete_audit(self, audit_id: int, *, outcome: str, detail: str, finished: float) -> None:
        """Close a row written before its cell ran."""
        with self._write() as conn:
            conn.execute(
                "UPDATE audit SET outcome = ?, detail = ?, finished = ? WHERE id = ?",
                (outcome, detail, finished, audit_id),
            )

    def mark_running_audit(self, *, outcome: str, detail: str) -> int:
        """Close every row still ``running`` (its server died); how many there were."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE audit SET outcome = ?, detail = ? WHERE outcome = 'running'",
                (outcome, detail),
            )
            return cursor.rowcount

    def audit(self, session_id: str, *, since: float = 0.0) -> list[AuditRecord]:
        """The session's audit log (rows started at or after ``since``), oldest first."""
        self._require(session_id)
        rows = self._read(
            f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE session_id = ? AND started >= ? ORDER BY id",
            (session_id, since),
        )
        return [_audit(row) for row in rows]
