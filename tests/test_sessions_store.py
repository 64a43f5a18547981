"""The store's side of session management and usage: search, renames, run numbers, usage
per run, the spending ledger, and a database from before them (schema v3 → v4)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeagent.errors import NotFound
from jupyter_codeagent.store import SCHEMA_VERSION, SessionStore
from jupyter_codeagent.store.schema import MIGRATIONS, migrate


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore(tmp_path / "s.db") as opened:
        yield opened


def _usage(
    store: SessionStore, sid: str, turn: int | None, tokens: int, cost: float | None
) -> None:
    store.add_usage(
        sid,
        role="coder",
        model="m",
        input_tokens=tokens,
        output_tokens=1,
        cost_usd=cost,
        turn=turn,
        cache_read_tokens=tokens // 2,
    )


def test_search_by_title_path_and_message_words(store: SessionStore) -> None:
    a = store.create_session(notebook_path="reports/Q3.ipynb", kernel_id=None, title="Revenue")
    b = store.create_session(notebook_path="churn.ipynb", kernel_id=None)
    store.add_message(b.id, turn=0, role="user", text="Fit a logistic regression on churn")
    store.add_message(a.id, turn=0, role="assistant", text="Café sales rose 3%.")

    def ids(query: str) -> list[str]:
        return [record.id for record, _ in store.search_sessions(query)]

    assert ids("revenue") == [a.id] and ids("q3") == [a.id]
    [(record, snippet)] = store.search_sessions("logist regr")
    assert record.id == b.id and snippet is not None and "regression" in snippet
    assert ids("cafe") == [a.id]  # diacritics folded
    assert ids("3%") == [a.id]  # the words "3" (a prefix) of the message
    assert ids("%") == [] and ids("_") == []  # LIKE wildcards are literal
    assert ids('" OR ') == [] and ids("NOT") == []  # FTS5 syntax is literal
    store.delete_session(b.id)  # the cascade also empties the full-text index
    assert ids("regression") == []
    assert store._read("SELECT COUNT(*) FROM messages_fts")[0][0] == 1


def test_rename_does_not_count_as_activity(store: SessionStore) -> None:
    record = store.create_session(notebook_path="a.ipynb", kernel_id=None)
    renamed = store.rename_session(record.id, "Named")
    assert renamed.title == "Named" and renamed.updated == record.updated
    with pytest.raises(NotFound):
        store.rename_session("nosuch", "x")


def test_next_turn_follows_the_user_messages(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    assert store.next_turn(sid) == 0
    store.add_message(sid, turn=0, role="user", text="q")
    store.add_message(sid, turn=0, role="assistant", text="a")
    assert store.next_turn(sid) == 1
    store.add_message(sid, turn=1, role="user", text="q2")
    assert store.next_turn(sid) == 2
    assert [m.text for m in store.messages(sid, since_turn=1)] == ["q2"]
    with pytest.raises(NotFound):
        store.next_turn("nosuch")


def test_usage_per_run_and_the_spending_ledger(store: SessionStore) -> None:
    a = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    b = store.create_session(notebook_path="b.ipynb", kernel_id=None).id
    start = time.time()
    _usage(store, a, 0, 100, 0.5)
    _usage(store, a, 0, 10, None)
    _usage(store, a, 1, 20, None)
    _usage(store, b, 0, 1_000, 2.0)
    assert store.run_usage(a, 0) == {
        "turn": 0,
        "input_tokens": 110,
        "output_tokens": 2,
        "cache_read_tokens": 55,
        "cache_write_tokens": 0,
        "cost_usd": 0.5,
        "calls": 2,
    }
    assert store.run_usage(a, 1)["cost_usd"] is None  # unknown, not free
    assert store.run_usage(a, 7)["calls"] == 0
    assert [run["turn"] for run in store.usage_runs(a)] == [0, 1]
    assert [run["turn"] for run in store.usage_runs(a, since_turn=1)] == [1]
    assert store.spent_since(start) == (1_134, 2.5)
    store.delete_session(b)  # the ledger keeps what was spent
    assert store.spent_since(start) == (1_134, 2.5)
    assert store.spent_since(time.time() + 1) == (0, None)
    assert store.prune_spend(time.time() + 1) == 4
    assert store.spent_since(0) == (0, None)


def test_a_version_3_database_is_brought_to_version_4(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(raw, MIGRATIONS[:3]) == 3
        raw.execute(
            "INSERT INTO sessions (id, notebook_path, status, created, updated) "
            "VALUES ('s1', 'a.ipynb', 'done', 1, 1)"
        )
        raw.execute(
            "INSERT INTO messages (session_id, turn, role, text, ts) "
            "VALUES ('s1', 0, 'user', 'plot the seasonal decomposition', 1)"
        )
        raw.execute(
            "INSERT INTO usage (session_id, role, model, input_tokens, output_tokens, "
            "cost_usd, ts) VALUES ('s1', 'coder', 'gpt', 100, 10, 0.5, 5)"
        )
    finally:
        raw.close()
    with SessionStore(path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert [r.id for r, _ in store.search_sessions("seasonal")] == ["s1"]
        assert store.spent_since(0) == (110, 0.5)
        assert store.usage_runs("s1") == []  # calls from before runs were numbered
        assert store.usage_totals("s1")["input_tokens"] == 100
        assert store.next_turn("s1") == 1


def test_bounded_reads_use_their_indexes(store: SessionStore) -> None:
    """Opening a session reads only the turns it shows: each bounded read is an index
    range, never a scan of the session's whole history."""
    queries = {
        "messages": "SELECT id FROM messages WHERE session_id = 's' AND ts >= 5 ORDER BY id",
        "turns": "SELECT id FROM messages WHERE session_id = 's' AND turn >= 5 "
        "AND ts >= 0 ORDER BY id",
        "cells": "SELECT pk FROM cells WHERE session_id = 's' AND created >= 5 "
        "AND created < 9 ORDER BY pk",
        "audit": "SELECT id FROM audit WHERE session_id = 's' AND started >= 5 ORDER BY id",
        "usage": "SELECT turn FROM usage WHERE session_id = 's' AND turn >= 3 GROUP BY turn",
    }
    expected = {
        "messages": "messages_by_ts",
        "turns": "messages_by_turn",
        "cells": "cells_by_created",
        "audit": "audit_by_started",
        "usage": "usage_by_turn",
    }
    for name, sql in queries.items():
        plan = " ".join(row[3] for row in store._read(f"EXPLAIN QUERY PLAN {sql}"))
        assert expected[name] in plan, (name, plan)


def test_usage_sums_match_the_calls(store: SessionStore) -> None:
    """The per-role sums a trigger keeps equal a recount of the calls."""
    a = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    b = store.create_session(notebook_path="b.ipynb", kernel_id=None).id
    for index in range(30):
        cost = None if index % 3 == 0 else index / 100
        _usage(store, a if index % 2 else b, index // 5, 10 + index, cost)
    store.add_usage(a, role="reviewer", model="m", input_tokens=5, output_tokens=1, cost_usd=None)
    recount = store._read(
        "SELECT session_id, role, SUM(input_tokens), SUM(output_tokens), "
        "SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(cost_usd), COUNT(*) "
        "FROM usage GROUP BY session_id, role ORDER BY session_id, role"
    )
    sums = store._read("SELECT * FROM usage_sums ORDER BY session_id, role")

    def rounded(rows: list[Any]) -> list[tuple[Any, ...]]:
        return [(*row[:6], round(float(row[6] or 0), 9), row[7]) for row in rows]

    assert rounded(sums) == rounded(recount)
    assert store.usage_totals(a)["by_role"]["reviewer"]["cost_usd"] is None
    store.delete_session(b)
    assert {row[0] for row in store._read("SELECT session_id FROM usage_sums")} == {a}
